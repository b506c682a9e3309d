using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Studio.ApiClient;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class DeliveryTests(StudioStack stack)
{
    [UiFact]
    public async Task An_admin_retries_an_exhausted_delivery_from_the_request_page_and_it_is_delivered()
    {
        // The caller's endpoint fails until it is "fixed"; with one attempt allowed, every delivery is exhausted.
        await using var receiver = await WebhookReceiver.StartAsync(Respond.Status(500));
        const string key = "ui.hooks.v1";
        await stack.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")));
        await stack.Admin.ActivateAsync(key, 1);
        var request = await stack.Admin.CreateRequestAsync(
            PolicyBuilder.Request(key, "INV-H-1", new JsonObject { ["amount"] = 5 }, callbackUrl: receiver.Url()));
        // Both events of the new request (request_created, stage_started) fail their one attempt.
        var exhausted = await Wait.UntilAsync(
            () => stack.Admin.ListDeliveriesAsync(new DeliveryFilter(RequestId: request.RequestId)),
            list => list.Count == 2 && list.All(d => d.Status == "exhausted"), "both deliveries to be exhausted",
            describe: list => string.Join(", ", list.Select(d => $"{d.EventType}:{d.Status}")));
        var created = exhausted.Single(d => d.EventType == "request_created");

        receiver.Behavior = Respond.Ok;
        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", $"/requests/{request.RequestId}");
        var row = admin.Locator("[data-testid=delivery]").Filter(new() { HasText = "request_created" });
        await Expect(row).ToHaveAttributeAsync("data-status", "exhausted");
        // Impossible to miss: a banner at the top says the caller was never told.
        await Expect(admin.GetByTestId("exhausted-banner")).ToBeVisibleAsync();
        await row.ScrollIntoViewIfNeededAsync();
        await admin.ScreenshotAsync("request-deliveries");
        await row.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();

        await Wait.UntilAsync(() => stack.Admin.ListDeliveriesAsync(new DeliveryFilter(RequestId: request.RequestId, EventType: "request_created")),
            list => list.Single().Status == "delivered", "the retried delivery to arrive",
            describe: list => string.Join(", ", list.Select(d => $"{d.Status} attempt {d.Attempt} {d.LastError}")));
        Assert.Contains(receiver.Received, r => r.Succeeded && r.EventId == created.EventId);

        await admin.ReloadAsync();
        await admin.WaitInteractiveAsync();
        await Expect(admin.Locator("[data-testid=delivery]").Filter(new() { HasText = "request_created" })).ToHaveAttributeAsync("data-status", "delivered");
        // Only the retried delivery went again: stage_started is still exhausted, and the banner says so.
        await Expect(admin.Locator("[data-testid=delivery]").Filter(new() { HasText = "stage_started" })).ToHaveAttributeAsync("data-status", "exhausted");
        await Expect(admin.GetByTestId("exhausted-banner")).ToContainTextAsync("1 webhook delivery");
    }

    [UiFact]
    public async Task A_viewer_sees_deliveries_without_a_retry_button()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Respond.Status(500));
        const string key = "ui.hooks-viewer.v1";
        await stack.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")));
        await stack.Admin.ActivateAsync(key, 1);
        var request = await stack.Admin.CreateRequestAsync(
            PolicyBuilder.Request(key, "INV-H-2", new JsonObject(), callbackUrl: receiver.Url()));
        await Wait.UntilAsync(() => stack.Admin.ListDeliveriesAsync(new DeliveryFilter(RequestId: request.RequestId, Status: "exhausted")),
            list => list.Count > 0, "a delivery to be exhausted");

        var viewer = await stack.SignInAsync("u-vic", "AWE_VIEWER", $"/deliveries?request_id={request.RequestId}");
        await Expect(viewer.Locator("[data-testid=delivery][data-status=exhausted]").First).ToBeVisibleAsync();
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Retry" })).ToHaveCountAsync(0);
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Retry all exhausted" })).ToHaveCountAsync(0);
    }

    [UiFact]
    public async Task Retry_all_on_a_filtered_deliveries_page_retries_only_that_request()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Respond.Status(500));
        const string key = "ui.hooks-bulk.v1";
        await stack.Admin.CreatePolicyAsync(PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita")));
        await stack.Admin.ActivateAsync(key, 1);
        var chosen = await stack.Admin.CreateRequestAsync(PolicyBuilder.Request(key, "INV-B-1", new JsonObject(), callbackUrl: receiver.Url()));
        var other = await stack.Admin.CreateRequestAsync(PolicyBuilder.Request(key, "INV-B-2", new JsonObject(), callbackUrl: receiver.Url()));
        foreach (var id in new[] { chosen.RequestId, other.RequestId })
            await Wait.UntilAsync(() => stack.Admin.ListDeliveriesAsync(new DeliveryFilter(RequestId: id)),
                list => list.Count == 2 && list.All(d => d.Status == "exhausted"), $"both deliveries of {id} to be exhausted");

        receiver.Behavior = Respond.Ok;
        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", $"/deliveries?request_id={chosen.RequestId}");
        await Expect(admin.Locator("[data-testid=delivery][data-status=exhausted]")).ToHaveCountAsync(2);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Retry all exhausted" }).ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync(chosen.RequestId);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Retry all" }).ClickAsync();

        await Wait.UntilAsync(() => stack.Admin.ListDeliveriesAsync(new DeliveryFilter(RequestId: chosen.RequestId)),
            list => list.All(d => d.Status == "delivered"), "the chosen request's deliveries to arrive");
        Assert.All(await stack.Admin.ListDeliveriesAsync(new DeliveryFilter(RequestId: other.RequestId)), d => Assert.Equal("exhausted", d.Status));
    }
}
