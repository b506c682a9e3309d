using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Studio.ApiClient;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

[Collection(StudioCollection.Name)]
/// <summary>The user pickers search the directory behind the API (the stack's fake Keycloak).</summary>
public sealed class DirectoryPickerTests(StudioStack stack)
{
    [UiFact]
    public async Task An_admin_reassigns_a_task_to_a_person_found_by_name_in_the_directory()
    {
        const string key = "ui.picker.v1";
        await stack.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")));
        await stack.Admin.ActivateAsync(key, 1);
        var request = await stack.Admin.CreateRequestAsync(PolicyBuilder.Request(key, "INV-P-1", new JsonObject { ["amount"] = 5 }));

        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", $"/requests/{request.RequestId}");
        await admin.Locator("[data-testid=task][data-assignee=u-rita]").GetByRole(AriaRole.Button, new() { Name = "Reassign" }).ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Search by name, username or e-mail");
        // A first name finds the person; the option shows who they are, the value is their assignee id.
        await dialog.GetByLabel("New assignee").FillAsync("Baker");
        var bob = admin.Locator("[data-testid=user-option][data-user-id=u-bob]");
        await Expect(bob).ToContainTextAsync("Bob Baker, bob.baker@example.org");
        await Expect(admin.Locator("[data-testid=user-option][data-user-id=u-bea]")).ToHaveCountAsync(0);
        await admin.ScreenshotAsync("reassign-picker");
        await bob.ClickAsync();
        await dialog.GetByLabel("Reason").FillAsync("Rita is on leave");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Reassign" }).ClickAsync();

        await Expect(admin.Locator("[data-testid=task][data-assignee=u-bob]")).ToContainTextAsync("reassigned from u-rita");
        var tasks = await stack.Admin.ListTasksAsync(new TaskFilter(Assignee: "u-bob", RequestId: request.RequestId));
        Assert.Equal("open", tasks.Items.Single().Status);
    }

    [UiFact]
    public async Task The_delegation_form_picks_both_people_from_the_directory()
    {
        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", "/delegations");
        var form = admin.GetByTestId("delegation-form");
        await form.GetByLabel("User (away)").FillAsync("rita@");
        await admin.Locator("[data-testid=user-option][data-user-id=u-rita]").ClickAsync();
        await form.GetByLabel("Delegate to").FillAsync("Beatrice");
        await admin.Locator("[data-testid=user-option][data-user-id=u-bea]").ClickAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Create delegation" }).ClickAsync();

        var row = admin.GetByTestId("delegations-table").Locator("tr").Filter(new() { HasText = "u-bea" });
        await Expect(row).ToContainTextAsync("u-rita");
        var stored = Assert.Single(await stack.Admin.ListDelegationsAsync("u-rita"));
        Assert.Equal("u-bea", stored.DelegateTo);
    }
}
