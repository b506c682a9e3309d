using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Studio.ApiClient;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class AdminActionTests(StudioStack stack)
{
    [UiFact]
    public async Task An_admin_reassigns_a_task_and_then_cancels_the_request_with_a_reason()
    {
        const string key = "ui.admin-actions.v1";
        await stack.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")));
        await stack.Admin.ActivateAsync(key, 1);
        var request = await stack.Admin.CreateRequestAsync(PolicyBuilder.Request(key, "INV-A-1", new JsonObject { ["amount"] = 99 }));

        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", $"/requests/{request.RequestId}");
        await admin.Locator("[data-testid=task][data-assignee=u-rita]").GetByRole(AriaRole.Button, new() { Name = "Reassign" }).ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        // No Keycloak behind this API (dev mode): the picker says so and takes the id as typed.
        await dialog.GetByLabel("New assignee").FillAsync("u-sam");
        await admin.Locator("[data-testid=user-option][data-user-id=u-sam]").ClickAsync();
        await Expect(dialog).ToContainTextAsync("Keycloak is not available: type the user id");
        await dialog.GetByLabel("Reason").FillAsync("Rita is on leave");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Reassign" }).ClickAsync();

        var sam = admin.Locator("[data-testid=task][data-assignee=u-sam]");
        await Expect(sam).ToContainTextAsync("reassigned from u-rita");
        await Expect(sam).ToContainTextAsync("open");
        await Expect(admin.Locator("[data-testid=task][data-assignee=u-rita]")).ToContainTextAsync("reassigned");
        await Expect(admin.GetByTestId("waiting-reason")).ToContainTextAsync("u-sam");
        var samTasks = await stack.Api(Tokens.User("u-sam")).ListTasksAsync(new TaskFilter(RequestId: request.RequestId));
        Assert.Equal("open", samTasks.Items.Single().Status);

        await admin.GetByRole(AriaRole.Button, new() { Name = "Cancel request" }).ClickAsync();
        dialog = admin.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Reason").FillAsync("Invoice withdrawn by the vendor");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel request" }).ClickAsync();

        await Expect(admin.GetByTestId("request-status")).ToContainTextAsync("cancelled");
        await Expect(admin.Locator("[data-testid=journal-event][data-event-type=request_cancelled]")).ToContainTextAsync("Invoice withdrawn by the vendor");
        await Expect(admin.GetByRole(AriaRole.Button, new() { Name = "Cancel request" })).ToHaveCountAsync(0);
        Assert.Equal("cancelled", (await stack.Admin.GetRequestAsync(request.RequestId)).Status);
    }

    [UiFact]
    public async Task Keeping_the_request_in_the_cancel_dialog_changes_nothing()
    {
        const string key = "ui.admin-keep.v1";
        await stack.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")));
        await stack.Admin.ActivateAsync(key, 1);
        var request = await stack.Admin.CreateRequestAsync(PolicyBuilder.Request(key, "INV-A-2", new JsonObject()));

        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", $"/requests/{request.RequestId}");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Cancel request" }).ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Keep it" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);

        await Expect(admin.GetByTestId("request-status")).ToContainTextAsync("in review");
        Assert.Equal("in_review", (await stack.Admin.GetRequestAsync(request.RequestId)).Status);
    }

    [UiFact]
    public async Task The_requests_list_keeps_its_filters_in_the_address()
    {
        const string key = "ui.filters.v1";
        await stack.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")));
        await stack.Admin.ActivateAsync(key, 1);
        var kept = await stack.Admin.CreateRequestAsync(PolicyBuilder.Request(key, "INV-F-1", new JsonObject()));
        var cancelled = await stack.Admin.CreateRequestAsync(PolicyBuilder.Request(key, "INV-F-2", new JsonObject()));
        await stack.Admin.CancelRequestAsync(cancelled.RequestId, "test");

        // A link reproduces the view: only this policy's cancelled request.
        var viewer = await stack.SignInAsync("u-vic", "AWE_VIEWER", $"/requests?policy={key}&status=cancelled");
        var links = viewer.GetByTestId("request-link");
        await Expect(links).ToHaveCountAsync(1);
        await Expect(links).ToContainTextAsync("INV-F-2");

        await viewer.GoAsync($"/requests?policy={key}");
        await Expect(links).ToHaveCountAsync(2);
        Assert.NotEqual(kept.RequestId, cancelled.RequestId);
    }
}
