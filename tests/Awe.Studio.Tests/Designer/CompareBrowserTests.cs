using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Awe.Studio.Tests.Designer;

// Comparing versions, and how a stage card copes with a long name and a problem.
public sealed partial class DesignerBrowserTests
{
    private static JsonObject Role(string role) => new() { ["rule_type"] = "role", ["rule_value"] = new JsonObject { ["role"] = role } };

    private static JsonObject StageBody(string name, int order, JsonArray rules, string mode = "all", int? modeValue = null, int? group = null) => new()
    {
        ["name"] = name, ["stage_order"] = order, ["mode"] = mode, ["mode_value"] = modeValue, ["parallel_group"] = group, ["rules"] = rules,
    };

    [Fact]
    public async Task Two_versions_made_through_the_API_are_compared_stage_by_stage()
    {
        await PostAsync(studio.AdminHttp, "/v1/awe/policies", new JsonObject
        {
            ["policy_key"] = "vendor.onboarding", ["name"] = "Vendor onboarding", ["artifact_type"] = "vendor",
            ["stages"] = new JsonArray
            {
                StageBody("Officer check", 1, [User("u-olga")]),
                StageBody("Finance", 2, [User("u-fin1"), User("u-fin2"), User("u-fin3")], "any-n", 2),
                StageBody("Legal", 3, [Role("LEGAL")]),
                StageBody("Director sign-off", 4, [User("u-dir", required: true)]),
            },
        });
        // v2: Officer check renamed, Finance needs one approval of a changed list and runs beside a new Audit stage,
        // Legal dropped, the director's stage gets a deadline, and a person may approve once per request.
        var director = StageBody("Director sign-off", 4, [User("u-dir", required: true)]);
        director["sla_hours"] = 48;
        director["on_breach"] = "notify";
        using (var put = await studio.AdminHttp.PutAsJsonAsync("/v1/awe/policies/vendor.onboarding", new JsonObject
        {
            ["policy_key"] = "vendor.onboarding", ["name"] = "Vendor onboarding", ["artifact_type"] = "vendor", ["forbid_repeat_approvers"] = true,
            ["stages"] = new JsonArray
            {
                StageBody("Officer review", 1, [User("u-olga")]),
                StageBody("Finance", 2, [User("u-fin1"), User("u-fin2"), User("u-fin4")], "any-n", 1, group: 2),
                StageBody("Audit", 3, [User("u-aud")], group: 2),
                director,
            },
        }))
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

        // From the policy page: Compare opens v1 against v2.
        var page = await studio.SignedInPageAsync("vera.viewer", "AWE_VIEWER");
        await studio.OpenAsync(page, "/policies/vendor.onboarding?v=2", "[data-testid=compare-versions]");
        await page.GetByTestId("compare-versions").ClickAsync();
        await page.WaitForURLAsync("**/policies/vendor.onboarding/compare?from=1&to=2", Committed);
        await page.WaitForSelectorAsync("[data-testid=version-diff]");

        await Assertions.Expect(page.GetByTestId("diff-flow-old")).ToHaveTextAsync("Officer check → Finance → Legal → Director sign-off");
        await Assertions.Expect(page.GetByTestId("diff-flow-new")).ToHaveTextAsync("Officer review → Finance ∥ Audit → Director sign-off");
        await Assertions.Expect(page.GetByTestId("diff-summary"))
            .ToHaveTextAsync("From v1 to v2: 3 stages changed, 1 stage added, 1 stage removed, 1 policy setting changed.");
        var cards = page.GetByTestId("diff-stage");
        // A removed stage is listed where it was: Legal after Finance, before the stage added beside Finance.
        Assert.Equal(["changed:Officer review", "changed:Finance", "removed:Legal", "added:Audit", "changed:Director sign-off"],
            await cards.EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.change + ':' + e.dataset.name)"));

        var officer = page.Locator("[data-testid=diff-stage][data-name='Officer review']");
        await Assertions.Expect(officer.GetByTestId("diff-renamed")).ToHaveTextAsync("Officer check → Officer review");
        var finance = page.Locator("[data-testid=diff-stage][data-name='Finance']");
        await Assertions.Expect(finance.Locator("[data-field=mode_value] del")).ToHaveTextAsync("2");
        await Assertions.Expect(finance.Locator("[data-field=mode_value] ins")).ToHaveTextAsync("1");
        await Assertions.Expect(finance.GetByTestId("diff-place")).ToHaveTextAsync("Runs in parallel with Audit now (was on its own).");
        await Assertions.Expect(finance.Locator("[data-testid=diff-rule][data-change=added]")).ToContainTextAsync("user u-fin4");
        await Assertions.Expect(finance.Locator("[data-testid=diff-rule][data-change=removed]")).ToContainTextAsync("user u-fin3");
        await Assertions.Expect(page.Locator("[data-testid=diff-stage][data-name='Audit'] [data-testid=diff-place]")).ToHaveTextAsync("New at step 2, in parallel with Finance.");
        await Assertions.Expect(page.Locator("[data-testid=diff-stage][data-name='Legal'] [data-testid=diff-place]")).ToHaveTextAsync("Was step 3.");
        var deadline = page.Locator("[data-testid=diff-stage][data-name='Director sign-off'] [data-field=sla]");
        await Assertions.Expect(deadline.Locator("del")).ToHaveTextAsync("not set");
        await Assertions.Expect(deadline.Locator("ins")).ToHaveTextAsync("48 h");
        await Assertions.Expect(page.Locator("[data-testid=diff-policy] [data-field=forbid_repeat_approvers] ins")).ToHaveTextAsync("yes");
        await page.ScreenshotAsync("designer-compare");

        // Swapped, the same differences read the other way; the address keeps the choice.
        await page.GetByTestId("compare-swap").ClickAsync();
        await page.WaitForURLAsync("**/policies/vendor.onboarding/compare?from=2&to=1", Committed);
        await Assertions.Expect(page.Locator("[data-testid=diff-stage][data-name='Audit']")).ToHaveAttributeAsync("data-change", "removed");
        await Assertions.Expect(page.Locator("[data-testid=diff-stage][data-name='Legal']")).ToHaveAttributeAsync("data-change", "added");

        // From the designer: Compare shows the version against the one before it.
        await studio.OpenAsync(page, "/policies/vendor.onboarding/versions/2/design", "[data-testid=designer-stage]");
        await page.GetByTestId("open-compare").ClickAsync();
        await page.WaitForURLAsync("**/policies/vendor.onboarding/compare?from=1&to=2", Committed);
        await Assertions.Expect(page.Locator("[data-testid=diff-stage][data-name='Audit']")).ToHaveAttributeAsync("data-change", "added");
        await page.Context.CloseAsync();
    }

    // The address is enough: Blazor may route in the page (no load event), and the assertions after it wait themselves.
    private static readonly PageWaitForURLOptions Committed = new() { WaitUntil = WaitUntilState.Commit };

    [Fact]
    public async Task A_long_stage_name_is_cut_with_its_full_text_on_hover_and_the_problem_badge_stays_in_view()
    {
        const string longName = "Regional finance officer countersignature and budget line check";
        await PostAsync(studio.AdminHttp, "/v1/awe/policies", new JsonObject
        {
            ["policy_key"] = "long.names", ["name"] = "Long names", ["artifact_type"] = "grant",
            ["stages"] = new JsonArray { StageBody(longName, 1, [User("u-rfo")], "any-n", 1) },
        });

        var page = await studio.SignedInPageAsync("alice.admin", "AWE_ADMIN");
        await studio.OpenAsync(page, "/policies/long.names/versions/1/design", "[data-testid=designer-stage]");
        var card = Stage(page, longName);
        var title = card.GetByTestId("stage-title");
        await Assertions.Expect(title).ToHaveAttributeAsync("title", longName);
        Assert.True(await title.EvaluateAsync<bool>("e => e.scrollWidth > e.clientWidth && getComputedStyle(e).textOverflow === 'ellipsis'"),
            "the name is cut with an ellipsis");

        // Two approvals of one named approver: the card and the panel say so before the API does; saving gets its 422.
        await card.ClickAsync();
        await page.GetByTestId("stage-mode-value").FillAsync("2");
        await Assertions.Expect(card.GetByTestId("stage-mode-warning")).ToHaveTextAsync("⚠ Needs 2 approvals but only 1 approver is named.");
        await page.GetByTestId("save-draft").ClickAsync();
        var badge = card.GetByTestId("stage-problem-badge");
        await Assertions.Expect(badge).ToHaveTextAsync("⚠ 1");
        var cardBox = await card.BoundingBoxAsync();
        var badgeBox = await badge.BoundingBoxAsync();
        Assert.True(badgeBox!.Width > 20 && badgeBox.X + badgeBox.Width <= cardBox!.X + cardBox.Width,
            $"badge {badgeBox.X}+{badgeBox.Width} inside card {cardBox!.X}+{cardBox.Width}");
        await page.Context.CloseAsync();
    }
}
