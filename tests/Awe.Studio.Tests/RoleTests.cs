using System.Text.Json.Nodes;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class RoleTests(StudioStack stack)
{
    [UiFact]
    public async Task A_viewer_sees_policies_and_requests_but_no_action_that_changes_anything()
    {
        const string key = "ui.viewer.v1";
        await stack.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")));
        await stack.Admin.ActivateAsync(key, 1);
        var request = await stack.Admin.CreateRequestAsync(PolicyBuilder.Request(key, "INV-V-1", new JsonObject { ["amount"] = 10 }));

        var viewer = await stack.SignInAsync("u-vic", "AWE_VIEWER", $"/policies/{key}");
        await Expect(viewer.GetByTestId("version-detail")).ToContainTextAsync("Version 1");
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Deactivate" })).ToHaveCountAsync(0);
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Activate" })).ToHaveCountAsync(0);

        await viewer.GoAsync($"/requests/{request.RequestId}");
        await Expect(viewer.GetByTestId("request-status")).ToContainTextAsync("in review");
        // Why it waits, in words, for someone who never read the API docs.
        await Expect(viewer.GetByTestId("waiting-reason")).ToContainTextAsync("u-rita");
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Cancel request" })).ToHaveCountAsync(0);
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Reassign" })).ToHaveCountAsync(0);

        await viewer.GoAsync("/policies");
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "New policy" })).ToHaveCountAsync(0);
    }

    [UiFact]
    public async Task An_admin_activates_a_draft_after_confirming_and_the_previous_version_is_archived()
    {
        const string key = "ui.activate.v1";
        await stack.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")));
        await stack.Admin.ActivateAsync(key, 1);
        await stack.Admin.AddVersionAsync(key, PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita"), PolicyBuilder.Stage(2, "Sign-off", "u-sam")));

        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", $"/policies/{key}?v=2");
        await Expect(admin.GetByTestId("stage")).ToHaveCountAsync(2);
        await admin.GetByTestId("version-detail").GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("v1 is archived");
        await admin.ScreenshotAsync("policy-activate");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();

        await Expect(admin.Locator("[data-testid=version][data-version='2']")).ToHaveAttributeAsync("data-status", "active");
        await Expect(admin.Locator("[data-testid=version][data-version='1']")).ToHaveAttributeAsync("data-status", "archived");
        var versions = await stack.Admin.ListVersionsAsync(key);
        Assert.Equal("active", versions.Single(v => v.Version == 2).Status);
        Assert.Equal("archived", versions.Single(v => v.Version == 1).Status);
    }

    [UiFact]
    public async Task Cancelling_the_confirmation_activates_nothing()
    {
        const string key = "ui.activate-cancel.v1";
        await stack.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")));

        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", $"/policies/{key}");
        await admin.GetByTestId("version-detail").GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        Assert.Equal("draft", (await stack.Admin.ListVersionsAsync(key)).Single().Status);
        await Expect(admin.Locator("[data-testid=version][data-version='1']")).ToHaveAttributeAsync("data-status", "draft");
    }
}
