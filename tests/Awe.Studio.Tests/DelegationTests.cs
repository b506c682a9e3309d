using Awe.Studio.ApiClient;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class DelegationTests(StudioStack stack)
{
    [UiFact]
    public async Task An_admin_sees_the_problems_at_their_fields_then_creates_and_deletes_a_delegation()
    {
        const string away = "u-dora";
        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", $"/delegations?user_id={away}");
        await Expect(admin.GetByTestId("delegations-table")).ToContainTextAsync($"No delegation from or to {away}");

        // Two mistakes at once: the API names both, each under its own field, and stores nothing.
        await admin.GetByLabel("User (away)").FillAsync(away);
        await admin.Locator($"[data-testid=user-option][data-user-id={away}]").ClickAsync();
        await admin.GetByLabel("Delegate to").FillAsync("U-Dora ");
        await admin.Locator("[data-testid=user-option][data-user-id=U-Dora]").ClickAsync();
        await admin.GetByLabel("Ends (UTC)").FillAsync("2020-01-01T00:00");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create delegation" }).ClickAsync();
        var form = admin.GetByTestId("delegation-form");
        await Expect(form.Locator(".mud-input-control").Filter(new() { Has = admin.GetByLabel("Delegate to") })).ToContainTextAsync("must differ from user_id");
        await Expect(form.Locator(".mud-input-control").Filter(new() { Has = admin.GetByLabel("Ends (UTC)") })).ToContainTextAsync("must be later than starts_at");
        Assert.Empty(await stack.Admin.ListDelegationsAsync(away));

        await admin.GetByLabel("Delegate to").FillAsync("u-dan");
        await admin.Locator("[data-testid=user-option][data-user-id=u-dan]").ClickAsync();
        await admin.GetByLabel("Starts (UTC)").FillAsync("2030-03-01T09:00");
        await admin.GetByLabel("Ends (UTC)").FillAsync("2030-03-15T18:00");
        await admin.GetByLabel("Reason (optional)").FillAsync("Parental leave");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create delegation" }).ClickAsync();

        var row = admin.GetByTestId("delegations-table").Locator("tr").Filter(new() { HasText = "u-dan" });
        await Expect(row).ToContainTextAsync("2030-03-01 09:00 → 2030-03-15 18:00");
        await Expect(row).ToContainTextAsync("upcoming");
        await Expect(form.Locator(".mud-input-error")).ToHaveCountAsync(0);
        var stored = Assert.Single(await stack.Admin.ListDelegationsAsync(away));
        Assert.Equal(("u-dan", "Parental leave"), (stored.DelegateTo, stored.Reason));
        Assert.Equal(new DateTime(2030, 3, 1, 9, 0, 0, DateTimeKind.Utc), stored.StartsAt);
        Assert.Equal(new DateTime(2030, 3, 15, 18, 0, 0, DateTimeKind.Utc), stored.EndsAt);
        await admin.ScreenshotAsync("delegations");

        // Keeping it in the confirmation changes nothing; confirming deletes it.
        await row.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        var dialog = admin.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync($"{away} → u-dan");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Keep it" }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        Assert.Single(await stack.Admin.ListDelegationsAsync(away));

        await row.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await admin.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        Assert.Empty(await stack.Admin.ListDelegationsAsync(away));
    }

    [UiFact]
    public async Task The_window_is_typed_and_shown_in_the_browsers_time_zone_and_stored_in_UTC()
    {
        const string away = "u-tz-away";
        // New York in March 2030: EST (UTC-5) before the 10th, EDT (UTC-4) after; the window spans the change.
        var admin = await stack.SignInAsync("u-ada", "AWE_ADMIN", $"/delegations?user_id={away}", timeZone: "America/New_York");
        await Expect(admin.GetByTestId("time-zone")).ToHaveAttributeAsync("data-zone", "America/New_York");
        await admin.GetByLabel("User (away)").FillAsync(away);
        await admin.Locator($"[data-testid=user-option][data-user-id={away}]").ClickAsync();
        await admin.GetByLabel("Delegate to").FillAsync("u-tz-cover");
        await admin.Locator("[data-testid=user-option][data-user-id=u-tz-cover]").ClickAsync();
        await admin.GetByLabel("Starts (America/New_York)").FillAsync("2030-03-01T09:00");
        await admin.GetByLabel("Ends (America/New_York)").FillAsync("2030-03-15T18:00");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create delegation" }).ClickAsync();

        var window = admin.GetByTestId("delegations-table").Locator("tr").Filter(new() { HasText = "u-tz-cover" }).GetByTestId("delegation-window");
        await Expect(window).ToHaveTextAsync("2030-03-01 09:00 → 2030-03-15 18:00");
        await Expect(window.GetByTestId("moment").Nth(1)).ToHaveAttributeAsync("title", "2030-03-15 18:00:00 (America/New_York, UTC-04:00)");
        var stored = Assert.Single(await stack.Admin.ListDelegationsAsync(away));
        Assert.Equal(new DateTime(2030, 3, 1, 14, 0, 0, DateTimeKind.Utc), stored.StartsAt);
        Assert.Equal(new DateTime(2030, 3, 15, 22, 0, 0, DateTimeKind.Utc), stored.EndsAt);

        // The same delegation read from Berlin.
        var viewer = await stack.SignInAsync("u-vic", "AWE_VIEWER", $"/delegations?user_id={away}", timeZone: "Europe/Berlin");
        await Expect(viewer.GetByTestId("delegation-window")).ToHaveTextAsync("2030-03-01 15:00 → 2030-03-15 23:00");
    }

    [UiFact]
    public async Task A_viewer_sees_delegations_but_cannot_create_or_delete()
    {
        const string away = "u-vera";
        var now = DateTime.UtcNow;
        await stack.Admin.CreateDelegationAsync(new DelegationIn(away, "u-vince", now.AddHours(-1).ToString("O"), now.AddDays(3).ToString("O"), "Conference"));

        var viewer = await stack.SignInAsync("u-vic", "AWE_VIEWER", $"/delegations?user_id={away}");
        var row = viewer.GetByTestId("delegations-table").Locator("tr").Filter(new() { HasText = "u-vince" });
        await Expect(row).ToContainTextAsync("active");
        await Expect(row).ToContainTextAsync("Conference");
        await Expect(viewer.GetByTestId("delegation-form")).ToHaveCountAsync(0);
        await Expect(viewer.GetByRole(AriaRole.Button, new() { Name = "Delete" })).ToHaveCountAsync(0);
    }
}
