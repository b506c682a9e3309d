using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Awe.Studio.Tests.Designer;

/// <summary>The policy designer in Chromium against a real AWE on PostgreSQL.</summary>
public sealed class DesignerBrowserTests(DesignerStudio studio) : IClassFixture<DesignerStudio>
{
    private static async Task<JsonObject> PostAsync(HttpClient client, string path, JsonObject? body = null)
    {
        using var response = await client.PostAsJsonAsync(path, body ?? new JsonObject());
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static JsonObject User(string id, bool required = false) => new()
    {
        ["rule_type"] = "user", ["rule_value"] = new JsonObject { ["user_id"] = id }, ["required"] = required,
    };

    [Fact]
    public async Task An_active_policy_is_drawn_from_its_compiled_definition_with_its_parallel_group_side_by_side()
    {
        await PostAsync(studio.Admin, "/v1/awe/policies", new JsonObject
        {
            ["policy_key"] = "grant.payment",
            ["name"] = "Grant payment",
            ["artifact_type"] = "grant.payment",
            ["forbid_self_approval"] = true,
            ["stages"] = new JsonArray
            {
                new JsonObject { ["name"] = "Officer check", ["stage_order"] = 1, ["mode"] = "all", ["rules"] = new JsonArray { User("u-olga") } },
                new JsonObject
                {
                    ["name"] = "Finance", ["stage_order"] = 2, ["mode"] = "any-n", ["mode_value"] = 2, ["parallel_group"] = 7,
                    ["rules"] = new JsonArray { User("u-fin1"), User("u-fin2"), User("u-fin3") },
                },
                new JsonObject
                {
                    ["name"] = "Legal", ["stage_order"] = 3, ["parallel_group"] = 7, ["on_empty"] = "skip",
                    ["skip_if"] = new JsonObject { ["<"] = new JsonArray { new JsonObject { ["var"] = "amount" }, 1000 } },
                    ["rules"] = new JsonArray { new JsonObject { ["rule_type"] = "role", ["rule_value"] = new JsonObject { ["role"] = "LEGAL" } } },
                },
                new JsonObject { ["name"] = "Director sign-off", ["stage_order"] = 4, ["sla_hours"] = 48, ["on_breach"] = "notify", ["rules"] = new JsonArray { User("u-dir", required: true) } },
            },
        });
        await PostAsync(studio.Admin, "/v1/awe/policies/grant.payment/versions/1/activate");

        var page = await studio.SignedInPageAsync("alice.admin", "AWE_ADMIN");
        await studio.OpenAsync(page, "/policies/grant.payment/versions/1/design", "[data-testid=designer-stage]");

        var stages = page.Locator("[data-testid=designer-stage]");
        await Assertions.Expect(stages).ToHaveCountAsync(4);
        await Assertions.Expect(page.GetByTestId("designer-source")).ToContainTextAsync("compiled workflow definition");
        // Columns: 1 | 2 (Finance and Legal, parallel) | 3.
        await Assertions.Expect(page.Locator("[data-testid=designer-stage][data-name='Officer check']")).ToHaveAttributeAsync("data-column", "1");
        await Assertions.Expect(page.Locator("[data-testid=designer-stage][data-name='Finance']")).ToHaveAttributeAsync("data-column", "2");
        await Assertions.Expect(page.Locator("[data-testid=designer-stage][data-name='Legal']")).ToHaveAttributeAsync("data-column", "2");
        await Assertions.Expect(page.Locator("[data-testid=designer-stage][data-name='Legal']")).ToHaveAttributeAsync("data-parallel", "true");
        await Assertions.Expect(page.Locator("[data-testid=designer-stage][data-name='Director sign-off']")).ToHaveAttributeAsync("data-column", "3");
        await Assertions.Expect(page.GetByTestId("designer-gateway")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("[data-testid=designer-terminal][data-kind=approved]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=designer-terminal][data-kind=rejected]")).ToBeVisibleAsync();
        // Finance and Legal are side by side in x, one above the other.
        var finance = await page.Locator("[data-testid=designer-stage][data-name='Finance']").BoundingBoxAsync();
        var legal = await page.Locator("[data-testid=designer-stage][data-name='Legal']").BoundingBoxAsync();
        var officer = await page.Locator("[data-testid=designer-stage][data-name='Officer check']").BoundingBoxAsync();
        Assert.Equal(finance!.X, legal!.X, 1);
        Assert.True(legal.Y > finance.Y + finance.Height - 1, "Legal is drawn below Finance");
        Assert.True(finance.X > officer!.X + officer.Width, "the parallel column comes after the first stage");

        // An active version is read-only; an admin may start a new draft from it.
        await Assertions.Expect(page.GetByTestId("save-draft")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("new-draft")).ToBeVisibleAsync();

        await page.Locator("[data-testid=designer-stage][data-name='Finance']").ClickAsync();
        await Assertions.Expect(page.GetByTestId("mode-sentence")).ToHaveTextAsync("2 of 3 approvers must approve; one reject vetoes.");
        // With the navigation folded away the whole flow fits the canvas.
        await DesignerStudio.FoldNavigationAsync(page);
        await DesignerStudio.ScreenshotAsync(page, "designer-active.png");

        // A viewer sees the same drawing and cannot change anything.
        var viewer = await studio.SignedInPageAsync("vera.viewer", "AWE_VIEWER");
        await studio.OpenAsync(viewer, "/policies/grant.payment/versions/1/design", "[data-testid=designer-stage]");
        await Assertions.Expect(viewer.Locator("[data-testid=designer-stage]")).ToHaveCountAsync(4);
        await Assertions.Expect(viewer.GetByTestId("read-only")).ToBeVisibleAsync();
        await Assertions.Expect(viewer.GetByTestId("new-draft")).ToHaveCountAsync(0);
        await Assertions.Expect(viewer.GetByTestId("add-stage")).ToHaveCountAsync(0);
        await viewer.Locator("[data-testid=designer-stage][data-name='Director sign-off']").ClickAsync();
        await Assertions.Expect(viewer.GetByTestId("stage-delete")).ToHaveCountAsync(0);
        await Assertions.Expect(viewer.GetByTestId("stage-name")).ToHaveAttributeAsync("readonly", "");
        await Assertions.Expect(viewer.GetByTestId("mode-sentence")).ToHaveTextAsync("The approver must approve, including user u-dir; one reject vetoes.");
        await viewer.Context.CloseAsync();
        await page.Context.CloseAsync();
    }
}
