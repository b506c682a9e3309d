using Awe.Studio.ApiClient;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Awe.Studio.Tests;

[Collection(StudioCollection.Name)]
public sealed class AuditTests(StudioStack stack)
{
    [UiFact]
    public async Task A_viewer_reads_admin_actions_newest_first_with_before_and_after_and_filters_them()
    {
        var now = DateTime.UtcNow;
        var created = await stack.Admin.CreateDelegationAsync(
            new DelegationIn("u-audra", "u-audie", now.ToString("O"), now.AddDays(1).ToString("O"), "Audit trail test"));
        await stack.Admin.DeleteDelegationAsync(created.Id);
        var expected = await stack.Admin.ListAuditAsync(new AuditFilter(ResourceId: created.Id));
        Assert.Equal(["delegation.delete", "delegation.create"], expected.Select(a => a.Action));

        var viewer = await stack.SignInAsync("u-vic", "AWE_VIEWER", $"/audit?resource_id={created.Id}");
        var rows = viewer.GetByTestId("audit-row");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToHaveAttributeAsync("data-action", "delegation.delete");
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-action", "delegation.create");
        await Expect(viewer.GetByTestId("audit-table")).ToContainTextAsync(expected[0].Actor);

        // Expanding the deletion shows what was there before and nothing after.
        await rows.Nth(0).ClickAsync();
        var detail = viewer.GetByTestId("audit-detail");
        await Expect(detail).ToHaveCountAsync(1);
        await Expect(detail.GetByTestId("audit-before")).ToContainTextAsync("\"delegate_to\": \"u-audie\"");
        await Expect(detail.GetByTestId("audit-after")).ToHaveTextAsync("—");
        await viewer.ScreenshotAsync("audit");

        // Filters live in the address and reach the API: only the creation is left.
        await viewer.GetByLabel("Action").FillAsync("delegation.create");
        await viewer.GetByLabel("Action").PressAsync("Tab");
        await viewer.WaitForURLAsync(url => url.Contains("action=delegation.create"));
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows).ToHaveAttributeAsync("data-action", "delegation.create");
    }
}
