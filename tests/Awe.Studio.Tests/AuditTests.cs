using System.Globalization;
using Awe.Host.Tests.Infrastructure;
using Awe.Studio.ApiClient;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class AuditTests(StudioStack stack)
{
    private static readonly TimeZoneInfo Kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");

    [UiFact]
    public async Task A_viewer_reads_each_change_as_a_diff_in_their_own_time_zone_and_filters_them()
    {
        var now = DateTime.UtcNow;
        var created = await stack.Admin.CreateDelegationAsync(
            new DelegationIn("u-audra", "u-audie", now.ToString("O"), now.AddDays(1).ToString("O"), "Audit trail test"));
        await stack.Admin.DeleteDelegationAsync(created.Id);
        var expected = await stack.Admin.ListAuditAsync(new AuditFilter(ResourceId: created.Id));
        Assert.Equal(["delegation.delete", "delegation.create"], expected.Select(a => a.Action));

        // A browser in India (UTC+05:30, a half-hour offset that no UTC rendering could pass for).
        var viewer = await stack.SignInAsync("u-vic", "AWE_VIEWER", $"/audit?resource_id={created.Id}", timeZone: "Asia/Kolkata");
        // Chromium's ICU names it by its older alias, Asia/Calcutta: the same zone.
        var india = new System.Text.RegularExpressions.Regex("^Asia/(Kolkata|Calcutta)$");
        await Expect(viewer.GetByTestId("time-zone")).ToHaveAttributeAsync("data-zone", india);
        var rows = viewer.GetByTestId("audit-row");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToHaveAttributeAsync("data-action", "delegation.delete");
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-action", "delegation.create");
        await Expect(viewer.GetByTestId("audit-table")).ToContainTextAsync(expected[0].Actor);
        var local = TimeZoneInfo.ConvertTimeFromUtc(expected[0].OccurredAt, Kolkata);
        var moment = rows.Nth(0).GetByTestId("moment");
        await Expect(moment).ToHaveTextAsync(local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        await Expect(moment).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex(@"\(Asia/(Kolkata|Calcutta), UTC\+05:30\)$"));

        // The deletion: every field of what was there is "removed", nothing after.
        await rows.Nth(0).ClickAsync();
        var detail = viewer.GetByTestId("audit-detail");
        await Expect(detail).ToHaveCountAsync(1);
        var delegateTo = detail.Locator("[data-testid=audit-change][data-path=delegate_to]");
        await Expect(delegateTo).ToHaveAttributeAsync("data-kind", "removed");
        await Expect(delegateTo.GetByTestId("change-before")).ToHaveTextAsync("\"u-audie\"");
        await Expect(delegateTo.GetByTestId("change-after")).ToHaveTextAsync("");
        await Expect(detail.Locator("[data-testid=audit-change]:not([data-kind=removed])")).ToHaveCountAsync(0);

        // The creation, expanded too: its fields are "added".
        await rows.Nth(1).ClickAsync();
        await Expect(detail).ToHaveCountAsync(2);
        var added = detail.Nth(1).Locator("[data-testid=audit-change][data-path=user_id]");
        await Expect(added).ToHaveAttributeAsync("data-kind", "added");
        await Expect(added.GetByTestId("change-after")).ToHaveTextAsync("\"u-audra\"");

        // Since is typed in the viewer's zone and kept in the address as UTC: one minute after the deletion
        // (local clock) leaves nothing, one minute before it both entries (made within the same minute).
        var since = viewer.Locator("input[data-testid=filter-since], [data-testid=filter-since] input");
        await since.FillAsync(local.AddMinutes(1).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture));
        await since.PressAsync("Tab");
        var utcSince = expected[0].OccurredAt.AddMinutes(1);
        await viewer.WaitForURLAsync(url => Uri.UnescapeDataString(url).Contains($"since={utcSince:yyyy-MM-ddTHH:mm}:00Z"));
        await Expect(rows).ToHaveCountAsync(0);
        await since.FillAsync(local.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture));
        await since.PressAsync("Tab");
        await Expect(rows).ToHaveCountAsync(2); // read as UTC it would lie 5½ hours ahead and match nothing
    }

    [UiFact]
    public async Task A_changed_policy_shows_the_old_and_the_new_value_of_each_changed_field()
    {
        const string key = "ui.audit-diff.v1";
        var policy = PolicyBuilder.Policy(key, PolicyBuilder.Stage(1, "Review", "u-rita"));
        await stack.Admin.CreatePolicyAsync(policy);
        policy["name"] = "Invoice approval (EU)";
        policy["stages"]![0]!["rules"]![0]!["rule_value"]!["user_id"] = "u-sam";
        await stack.Admin.UpdateDraftAsync(key, 1, policy);

        var viewer = await stack.SignInAsync("u-vic", "AWE_VIEWER", $"/audit?action=policy.update&resource_id={key}:v1", timeZone: "Europe/Berlin");
        await viewer.GetByTestId("audit-row").ClickAsync();
        var changes = viewer.GetByTestId("audit-change");
        var name = changes.And(viewer.Locator("[data-path=name]"));
        await Expect(name).ToHaveAttributeAsync("data-kind", "changed");
        await Expect(name.GetByTestId("change-before")).ToHaveTextAsync("\"Invoice approval\"");
        await Expect(name.GetByTestId("change-after")).ToHaveTextAsync("\"Invoice approval (EU)\"");
        var rule = changes.And(viewer.Locator("[data-path='stages[0].rules[0].rule_value.user_id']"));
        await Expect(rule.GetByTestId("change-before")).ToHaveTextAsync("\"u-rita\"");
        await Expect(rule.GetByTestId("change-after")).ToHaveTextAsync("\"u-sam\"");
        await viewer.ScreenshotAsync("audit");
    }

    [UiFact]
    public async Task The_log_pages_older_and_newer_fifty_at_a_time()
    {
        // 52 entries by one actor: a full page of 50 and two more.
        var pager = stack.Api(Tokens.For("sub-ui-pager", "ui-pager", "AWE_ADMIN"));
        var start = DateTime.UtcNow;
        var ids = new List<string>();
        for (var i = 0; i < 52; i++)
            ids.Add((await pager.CreateDelegationAsync(new DelegationIn($"u-page{i}", "u-cover", start.ToString("O"), start.AddDays(1).ToString("O"), null))).Id);

        var viewer = await stack.SignInAsync("u-vic", "AWE_VIEWER", "/audit?actor=sub-ui-pager");
        var rows = viewer.GetByTestId("audit-row");
        var pagerBar = viewer.GetByTestId("audit-pager");
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(pagerBar.GetByRole(AriaRole.Button, new() { Name = "Newer" })).ToBeDisabledAsync();
        await Expect(pagerBar.GetByRole(AriaRole.Button, new() { Name = "Newest" })).ToBeDisabledAsync();

        await pagerBar.GetByRole(AriaRole.Button, new() { Name = "Older" }).ClickAsync();
        await viewer.WaitForURLAsync(url => url.Contains("before="));
        await Expect(rows).ToHaveCountAsync(2);
        var oldest = (await pager.ListAuditAsync(new AuditFilter(Actor: "sub-ui-pager", Limit: 100))).TakeLast(2).Select(a => a.Id).ToList();
        Assert.Equal(oldest, await rows.EvaluateAllAsync<string[]>("cells => cells.map(c => c.dataset.id)"));
        await Expect(pagerBar.GetByRole(AriaRole.Button, new() { Name = "Older" })).ToBeDisabledAsync();

        await pagerBar.GetByRole(AriaRole.Button, new() { Name = "Newer" }).ClickAsync();
        await viewer.WaitForURLAsync(url => url.Contains("after="));
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(pagerBar.GetByRole(AriaRole.Button, new() { Name = "Newer" })).ToBeDisabledAsync();
        await Expect(pagerBar.GetByRole(AriaRole.Button, new() { Name = "Older" })).ToBeEnabledAsync();
    }
}
