using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Studio.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Awe.Studio.Tests.Designer;

/// <summary>The policy designer in Chromium against a real AWE on PostgreSQL.</summary>
[Collection(StudioCollection.Name)]
public sealed partial class DesignerBrowserTests(StudioStack studio)
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

    [UiFact]
    public async Task An_active_policy_is_drawn_from_its_compiled_definition_with_its_parallel_group_side_by_side()
    {
        await PostAsync(studio.AdminHttp, "/v1/awe/policies", new JsonObject
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
        await PostAsync(studio.AdminHttp, "/v1/awe/policies/grant.payment/versions/1/activate");

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
        await DesignerPages.FoldNavigationAsync(page);
        await page.ScreenshotAsync("designer-active");

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

        // The admin starts v2 from the active version: an editable draft with the same flow.
        await page.GetByTestId("new-draft").ClickAsync();
        await page.WaitForURLAsync("**/policies/grant.payment/versions/2/design");
        await Assertions.Expect(page.GetByTestId("designer-source")).ToHaveTextAsync("the live draft");
        await Assertions.Expect(page.Locator("[data-testid=designer-stage]")).ToHaveCountAsync(4);
        await Assertions.Expect(page.GetByTestId("save-draft")).ToBeVisibleAsync();
        var v1 = await GetAsync(studio.AdminHttp, "/v1/awe/policies/grant.payment/versions/1");
        var v2 = await GetAsync(studio.AdminHttp, "/v1/awe/policies/grant.payment/versions/2");
        Assert.Equal("draft", (string?)v2["status"]);
        Assert.True((bool)v2["forbid_self_approval"]!);
        // The same stages; only the parallel group's number follows its column now (7 → 2).
        foreach (var s in v1["stages"]!.AsArray().OfType<JsonObject>().Where(s => s["parallel_group"] is not null)) s["parallel_group"] = 2;
        Assert.True(JsonNode.DeepEquals(Comparable(v1["stages"]!), Comparable(v2["stages"]!)), $"v1 {Comparable(v1["stages"]!)}\nv2 {Comparable(v2["stages"]!)}");

        // Deactivating v1 from the designer asks first; cancelled, nothing changes; confirmed, v1 is archived.
        await studio.OpenAsync(page, "/policies/grant.payment/versions/1/design", "[data-testid=designer-stage]");
        await page.GetByTestId("deactivate").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0);
        Assert.Equal("active", (string?)(await GetAsync(studio.AdminHttp, "/v1/awe/policies/grant.payment/versions/1"))["status"]);
        await page.GetByTestId("deactivate").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("deactivate")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("[data-testid=designer-title] ~ span[data-state]").First).ToHaveAttributeAsync("data-state", "archived");
        Assert.Equal("archived", (string?)(await GetAsync(studio.AdminHttp, "/v1/awe/policies/grant.payment/versions/1"))["status"]);
        await page.Context.CloseAsync();
    }

    [UiFact]
    public async Task A_new_policy_is_designed_saved_simulated_and_activated_and_the_API_holds_what_was_drawn()
    {
        var page = await studio.SignedInPageAsync("paula.author", "AWE_ADMIN");
        await studio.OpenAsync(page, "/policies", "[data-testid=design-new-policy]");
        await page.GetByTestId("design-new-policy").ClickAsync();
        await page.WaitForSelectorAsync("[data-testid=designer-stage]");

        await page.GetByTestId("policy-key").FillAsync("travel.claim");
        await page.GetByTestId("policy-name").FillAsync("Travel claim");
        await page.GetByTestId("policy-artifact-type").FillAsync("travel.claim");

        // Stage 1: one user, and a quorum of two — which that user alone can never reach.
        await Stage(page, "Stage 1").ClickAsync();
        await page.GetByTestId("stage-name").FillAsync("Finance review");
        await AddUserRuleAsync(page, "u-alice");
        await ChooseAsync(page, "stage-mode", "any n approve");
        await page.GetByTestId("stage-mode-value").FillAsync("2");
        await Assertions.Expect(page.GetByTestId("mode-sentence")).ToHaveTextAsync("2 approvers must approve; one reject vetoes.");
        await Assertions.Expect(page.GetByTestId("mode-warning")).ToHaveTextAsync("⚠ Needs 2 approvals but only 1 approver is named.");
        await Assertions.Expect(Stage(page, "Finance review").GetByTestId("stage-mode-warning")).ToContainTextAsync("only 1 approver is named");

        // Stage 2 beside it, then dragged out into a step of its own, then regrouped with the panel's button.
        await page.GetByTestId("add-parallel-stage").ClickAsync();
        await Assertions.Expect(Stage(page, "Stage 2")).ToHaveAttributeAsync("data-column", "1");
        await page.GetByTestId("stage-name").FillAsync("Legal review");
        await AddUserRuleAsync(page, "u-bob");
        var legal = await Stage(page, "Legal review").BoundingBoxAsync();
        await page.Mouse.MoveAsync(legal!.X + 40, legal.Y + 30);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(legal.X + 140, legal.Y + 30, new MouseMoveOptions { Steps = 5 });
        await page.Mouse.MoveAsync(legal.X + 300, legal.Y + 30, new MouseMoveOptions { Steps = 5 });
        await page.Mouse.UpAsync();
        await Assertions.Expect(Stage(page, "Legal review")).ToHaveAttributeAsync("data-column", "2");
        await Assertions.Expect(Stage(page, "Legal review")).ToHaveAttributeAsync("data-parallel", "false");
        await Stage(page, "Legal review").ClickAsync();
        await page.GetByTestId("stage-parallel-previous").ClickAsync();
        await Assertions.Expect(Stage(page, "Legal review")).ToHaveAttributeAsync("data-column", "1");
        await Assertions.Expect(Stage(page, "Legal review")).ToHaveAttributeAsync("data-parallel", "true");

        // skip_if is checked as it is typed, and can be tried against the sample context ({"amount": 1500}).
        var skipIf = page.Locator("[data-testid=jsonlogic-editor][data-field=skip_if]");
        await skipIf.GetByTestId("jsonlogic-text").FillAsync("""{"nope": [1]}""");
        await Assertions.Expect(skipIf.GetByTestId("field-problem")).ToContainTextAsync("unknown operator 'nope'");
        await skipIf.GetByTestId("jsonlogic-text").FillAsync("""{"<": [{"var": "amount"}, 1000]}""");
        await Assertions.Expect(skipIf.GetByTestId("jsonlogic-valid")).ToBeVisibleAsync();
        await skipIf.GetByTestId("jsonlogic-try").ClickAsync();
        await Assertions.Expect(skipIf.GetByTestId("jsonlogic-result")).ToContainTextAsync("false — the stage would run");

        // Saving: the API refuses the unreachable quorum; its problem appears at the field and on the node.
        await page.GetByTestId("save-draft").ClickAsync();
        var problem = page.Locator("[data-testid=field-problem][data-field=mode_value]");
        await Assertions.Expect(problem).ToContainTextAsync("needs 2 approvals but the stage names only 1 approver");
        await Assertions.Expect(Stage(page, "Finance review").GetByTestId("stage-problem-badge")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("stage-panel")).ToHaveAttributeAsync("data-stage-name", "Finance review");
        await DesignerPages.FoldNavigationAsync(page);
        await problem.ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync("designer-problem");
        using (var missing = await studio.AdminHttp.GetAsync("/v1/awe/policies/travel.claim/versions"))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        await page.GetByTestId("stage-mode-value").FillAsync("1");
        await Assertions.Expect(page.GetByTestId("mode-sentence")).ToHaveTextAsync("1 of 1 approver must approve; one reject vetoes.");
        await Assertions.Expect(page.GetByTestId("mode-warning")).ToHaveCountAsync(0);
        var drawnBody = JsonNode.Parse(await JsonTabAsync(page))!.AsObject();
        await page.GetByTestId("save-draft").ClickAsync();
        await page.WaitForURLAsync("**/policies/travel.claim/versions/1/design");
        await Assertions.Expect(page.GetByTestId("designer-source")).ToHaveTextAsync("the live draft");
        await Assertions.Expect(page.Locator("[data-testid=designer-stage]")).ToHaveCountAsync(2);

        // What the API holds is what was drawn: both stages in one parallel group, in the drawn order, with their rules.
        var saved = await GetAsync(studio.AdminHttp, "/v1/awe/policies/travel.claim/versions/1");
        Assert.Equal("draft", (string?)saved["status"]);
        Assert.Equal("Travel claim", (string?)saved["name"]);
        var savedStages = saved["stages"]!.AsArray();
        foreach (var drawn in await page.Locator("[data-testid=designer-stage]").AllAsync())
        {
            var order = int.Parse((await drawn.GetAttributeAsync("data-stage-order"))!);
            var stage = savedStages.Single(s => (int)s!["stage_order"]! == order)!;
            Assert.Equal(await drawn.GetAttributeAsync("data-name"), (string?)stage["name"]);
            Assert.Equal(await drawn.GetAttributeAsync("data-parallel") == "true", stage["parallel_group"] is not null);
        }
        Assert.Equal(savedStages[0]!["parallel_group"]!.ToJsonString(), savedStages[1]!["parallel_group"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(Comparable(drawnBody["stages"]!), Comparable(savedStages)),
            $"drawn: {Comparable(drawnBody["stages"]!)}\nsaved: {Comparable(savedStages)}");
        Assert.True(JsonNode.DeepEquals(Comparable(JsonNode.Parse(await JsonTabAsync(page))!["stages"]!), Comparable(savedStages)),
            "the reopened draft draws what was saved");

        // Simulate with a small amount: Legal review's skip_if holds; Finance review goes to u-alice.
        await page.GetByTestId("open-simulate").ClickAsync();
        await page.GetByTestId("simulate-context").FillAsync("""{"amount": 200}""");
        await page.GetByTestId("simulate-run").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=simulated-stage][data-stage-order='1'] [data-testid=simulated-approvers]")).ToHaveTextAsync("u-alice");
        await Assertions.Expect(page.Locator("[data-testid=simulated-stage][data-stage-order='2']")).ToHaveAttributeAsync("data-skipped", "true");
        await Assertions.Expect(Stage(page, "Legal review").GetByTestId("stage-simulation")).ToContainTextAsync("skipped (skip_if holds)");
        await Assertions.Expect(Stage(page, "Finance review").GetByTestId("stage-simulation")).ToContainTextAsync("u-alice");
        await DesignerPages.FoldNavigationAsync(page);
        await page.ScreenshotAsync("designer-simulate");

        // Activate, confirmed: the version is now drawn from its compiled definition, read-only.
        await page.GetByTestId("activate").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("designer-source")).ToContainTextAsync("compiled workflow definition");
        await Assertions.Expect(page.GetByTestId("save-draft")).ToHaveCountAsync(0);
        var versions = await GetArrayAsync(studio.AdminHttp, "/v1/awe/policies/travel.claim/versions");
        Assert.Equal("active", (string?)versions.Single()!["status"]);
        await page.Context.CloseAsync();
    }

    [UiFact]
    public async Task The_rule_pickers_search_the_directory_through_the_API()
    {
        var page = await studio.SignedInPageAsync("rita.author", "AWE_ADMIN");
        await studio.OpenAsync(page, "/designer/new", "[data-testid=designer-stage]");
        await Stage(page, "Stage 1").ClickAsync();

        // A user found by first name; the rule takes the user id.
        await page.GetByTestId("add-rule").ClickAsync();
        await page.GetByTestId("add-rule-user").ClickAsync();
        await page.GetByTestId("rule-user").FillAsync("Alice");
        await PickAsync(page, "u-alice");
        await Assertions.Expect(page.GetByTestId("rule-user")).ToHaveValueAsync("u-alice");

        // A client role: the client from the client list, then that client's roles.
        await page.GetByTestId("add-rule").ClickAsync();
        await page.GetByTestId("add-rule-role").ClickAsync();
        await page.GetByTestId("rule-client").FillAsync("regis");
        await PickAsync(page, "registry-portal");
        await page.GetByTestId("rule-role").FillAsync("FIN");
        await PickAsync(page, "FIN_OFFICER");

        await page.GetByTestId("add-rule").ClickAsync();
        await page.GetByTestId("add-rule-group").ClickAsync();
        await page.GetByTestId("rule-group").FillAsync("officers");
        await PickAsync(page, "/states/d1/officers");
        await page.GetByTestId("rule-subgroups").ClickAsync();

        await Assertions.Expect(page.GetByTestId("mode-sentence")).ToHaveTextAsync(
            "Every approver must approve; one reject vetoes.");
        var rules = JsonNode.Parse(await JsonTabAsync(page))!["stages"]![0]!["rules"]!;
        Assert.Equal("""[{"user_id":"u-alice"},{"role":"FIN_OFFICER","client":"registry-portal"},{"group":"/states/d1/officers","include_subgroups":true}]""",
            new JsonArray(rules.AsArray().Select(r => r!["rule_value"]!.DeepClone()).ToArray()).ToJsonString());
        await page.Context.CloseAsync();
    }

    private static async Task PickAsync(IPage page, string option)
    {
        var choice = page.Locator(".mud-popover-open .mud-list-item").GetByText(option, new() { Exact = true });
        await choice.ClickAsync();
        await Assertions.Expect(choice).ToHaveCountAsync(0);
    }

    private static ILocator Stage(IPage page, string name) => page.Locator($"[data-testid=designer-stage][data-name='{name}']");

    private static async Task AddUserRuleAsync(IPage page, string userId)
    {
        await page.GetByTestId("add-rule").ClickAsync();
        await page.GetByTestId("add-rule-user").ClickAsync();
        var input = page.GetByTestId("rule-user").Last;
        await input.FillAsync(userId);
        // The directory finds the id (or, for an id it does not know, offers the typed one as the only choice).
        await page.Locator(".mud-popover-open").GetByText(userId, new() { Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator(".mud-popover-open").GetByText(userId, new() { Exact = true })).ToHaveCountAsync(0);
        await Assertions.Expect(input).ToHaveValueAsync(userId);
    }

    private static async Task ChooseAsync(IPage page, string testId, string option)
    {
        await page.GetByTestId(testId).ClickAsync();
        await page.Locator(".mud-popover-open").GetByText(option, new() { Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator(".mud-popover-open").GetByText(option, new() { Exact = true })).ToHaveCountAsync(0);
    }

    /// <summary>The JSON tab's body (what Studio sends on save), then back to the stage tab.</summary>
    private static async Task<string> JsonTabAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Tab, new() { Name = "JSON" }).ClickAsync();
        var text = await page.GetByTestId("draft-json").InnerTextAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Stage" }).ClickAsync();
        return text;
    }

    /// <summary>A stage list without the fields only the API assigns (ids), for comparing a body with a PolicyOut.</summary>
    private static JsonArray Comparable(JsonNode stages) => new(stages.AsArray().Select(s => (JsonNode?)new JsonObject
    {
        ["name"] = s!["name"]?.DeepClone(),
        ["stage_order"] = s["stage_order"]?.DeepClone(),
        ["mode"] = s["mode"]?.DeepClone(),
        ["mode_value"] = s["mode_value"]?.DeepClone(),
        ["parallel_group"] = s["parallel_group"]?.DeepClone(),
        ["on_empty"] = s["on_empty"]?.DeepClone(),
        ["sla_hours"] = s["sla_hours"]?.DeepClone(),
        ["on_breach"] = s["on_breach"]?.DeepClone(),
        ["skip_if"] = s["skip_if"]?.DeepClone(),
        ["rules"] = new JsonArray(s["rules"]!.AsArray().Select(r => (JsonNode?)new JsonObject
        {
            ["rule_type"] = r!["rule_type"]?.DeepClone(),
            ["rule_value"] = r["rule_value"]?.DeepClone(),
            ["kind"] = r["kind"]?.DeepClone(),
            ["required"] = r["required"]?.DeepClone(),
        }).ToArray()),
    }).ToArray());

    private static async Task<JsonObject> GetAsync(HttpClient client, string path) => (await GetNodeAsync(client, path)).AsObject();

    private static async Task<JsonArray> GetArrayAsync(HttpClient client, string path) => (await GetNodeAsync(client, path)).AsArray();

    private static async Task<JsonNode> GetNodeAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
