using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Policies;

/// <summary>Create, list, versions, get, PUT, PATCH, activate and deactivate through HTTP on PostgreSQL (reference 1.3, 2.1).</summary>
public sealed class PolicyLifecycleTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    private readonly HttpClient _admin = fx.Admin;

    /// <summary>A document that sets every field of PolicyCreate, StageIn and ApproverRuleIn; stages listed out of order.</summary>
    private static JsonObject FullDocument(string key) => JsonNode.Parse("""
        {
          "policy_key": "__KEY__",
          "name": "Change request approval",
          "description": "Every field set",
          "artifact_type": "registry.change_request",
          "forbid_self_approval": true,
          "forbid_repeat_approvers": true,
          "stages": [
            {
              "name": "Finance", "stage_order": 3, "mode": "quorum", "mode_value": 1, "parallel_group": 7,
              "rules": [{"rule_type": "expression", "rule_value": {"logic": {"var": "finance_officer"}}}]
            },
            {
              "name": "Checker", "stage_order": 1, "mode": "ANY-N", "mode_value": 1, "sla_hours": 24,
              "skip_if": {"<": [{"var": "amount"}, 100]}, "on_empty": "skip", "on_breach": "escalate",
              "escalation_rules": [{"rule_type": "user", "rule_value": {"user_id": "u-boss"}}],
              "rules": [
                {"rule_type": "user", "rule_value": {"user_id": "u-alice"}, "kind": "approver", "required": true},
                {"rule_type": "user", "rule_value": {"user_id": "u-bob"}},
                {"rule_type": "user", "rule_value": {"user_id": "u-olga"}, "kind": "observer"}
              ]
            },
            {
              "name": "Approver", "stage_order": 2, "mode": "percentage", "mode_value": 50, "parallel_group": 7, "on_empty": "block",
              "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-carol"}}, {"rule_type": "user", "rule_value": {"user_id": "u-dan"}}]
            }
          ]
        }
        """.Replace("__KEY__", key))!.AsObject();

    private static JsonObject Simple(string key, string name = "Simple", params string[] approvers)
    {
        var policy = Policy(key, Stage(1, "any-n", 1, (approvers.Length == 0 ? ["u-alice"] : approvers).Select(u => User(u)).ToArray()));
        policy["name"] = name;
        return policy;
    }

    private async Task<JsonNode> CreateAsync(JsonObject document) =>
        (await _admin.PostJson("/v1/awe/policies", document)).Expect(HttpStatusCode.Created).Json;

    private async Task<JsonArray> VersionsAsync(string key) =>
        (await _admin.GetJson($"/v1/awe/policies/{key}/versions")).Expect(HttpStatusCode.OK).Json.AsArray();

    private async Task<Dictionary<int, string>> StatusesAsync(string key) =>
        (await VersionsAsync(key)).ToDictionary(v => (int)v!["version"]!, v => (string)v!["status"]!);

    private async Task<JsonNode> GetVersionAsync(string key, int version) =>
        (await _admin.GetJson($"/v1/awe/policies/{key}/versions/{version}")).Expect(HttpStatusCode.OK).Json;

    private Task<Reply> Activate(string key, int version) => _admin.PostJson($"/v1/awe/policies/{key}/versions/{version}/activate");

    [Fact]
    public async Task Create_returns_version_1_draft_with_every_field_echoed()
    {
        var before = DateTime.UtcNow.AddSeconds(-5);
        var created = await CreateAsync(FullDocument("lc.full"));

        Assert.False(string.IsNullOrWhiteSpace((string?)created["id"]));
        Assert.Equal("lc.full", (string?)created["policy_key"]);
        Assert.Equal(1, (int?)created["version"]);
        Assert.Equal("draft", (string?)created["status"]);
        Assert.Equal("Change request approval", (string?)created["name"]);
        Assert.Equal("Every field set", (string?)created["description"]);
        Assert.Equal("registry.change_request", (string?)created["artifact_type"]);
        Assert.True((bool)created["forbid_self_approval"]!);
        Assert.True((bool)created["forbid_repeat_approvers"]!);
        Assert.Equal("admin-sub", (string?)created["created_by"]);
        Assert.InRange((DateTime)created["created_at"]!, before, DateTime.UtcNow.AddSeconds(5));
        Assert.InRange((DateTime)created["updated_at"]!, before, DateTime.UtcNow.AddSeconds(5));

        var stages = created["stages"]!.AsArray();
        Assert.Equal([1, 2, 3], stages.Select(s => (int)s!["stage_order"]!));
        Assert.Equal(3, stages.Select(s => (string?)s!["id"]).Distinct().Count());

        var checker = stages[0]!;
        Assert.Equal("Checker", (string?)checker["name"]);
        Assert.Equal("any-n", (string?)checker["mode"]); // case-insensitive, stored lower-case
        Assert.Equal(1, (int?)checker["mode_value"]);
        Assert.Equal(24, (int?)checker["sla_hours"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"<": [{"var": "amount"}, 100]}"""), checker["skip_if"]));
        Assert.Equal("skip", (string?)checker["on_empty"]);
        Assert.Null(checker["parallel_group"]);
        Assert.Equal("escalate", (string?)checker["on_breach"]);
        var escalation = Assert.Single(checker["escalation_rules"]!.AsArray())!;
        Assert.Equal($"esc-{checker["id"]}-0", (string?)escalation["id"]);
        Assert.Equal("user", (string?)escalation["rule_type"]);
        Assert.Equal("u-boss", (string?)escalation["rule_value"]!["user_id"]);
        Assert.Equal("approver", (string?)escalation["kind"]);
        Assert.False((bool)escalation["required"]!);

        var rules = checker["rules"]!.AsArray();
        Assert.Equal(["u-alice", "u-bob", "u-olga"], rules.Select(r => (string)r!["rule_value"]!["user_id"]!));
        Assert.Equal(["approver", "approver", "observer"], rules.Select(r => (string)r!["kind"]!));
        Assert.Equal([true, false, false], rules.Select(r => (bool)r!["required"]!));
        Assert.All(rules, r => Assert.False(string.IsNullOrWhiteSpace((string?)r!["id"])));
        Assert.All(rules, r => Assert.Equal("user", (string?)r!["rule_type"]));

        var approver = stages[1]!;
        Assert.Equal(("percentage", 50, 7, "block"),
            ((string?)approver["mode"], (int?)approver["mode_value"], (int?)approver["parallel_group"], (string?)approver["on_empty"]));
        Assert.Null(approver["sla_hours"]);
        Assert.Null(approver["skip_if"]);
        Assert.Null(approver["on_breach"]);
        Assert.Empty(approver["escalation_rules"]!.AsArray());

        var finance = stages[2]!;
        Assert.Equal(("quorum", 7, "block"), ((string?)finance["mode"], (int?)finance["parallel_group"], (string?)finance["on_empty"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"logic": {"var": "finance_officer"}}"""), finance["rules"]![0]!["rule_value"]));

        // What was stored is what was answered.
        AssertSamePolicy(created, await GetVersionAsync("lc.full", 1));
    }

    [Fact]
    public async Task Create_with_an_existing_key_is_409_AWE_002_and_leaves_the_policy_alone()
    {
        await CreateAsync(Simple("lc.dup", "Original"));

        var message = EnvelopeAssert.ErrorMessage(await _admin.PostJson("/v1/awe/policies", Simple("lc.dup", "Intruder")), HttpStatusCode.Conflict, "AWE-002");

        Assert.Contains("lc.dup", message);
        Assert.Contains("PUT", message); // says how to add a version instead
        var versions = await VersionsAsync("lc.dup");
        Assert.Single(versions);
        Assert.Equal("Original", (string?)(await GetVersionAsync("lc.dup", 1))["name"]);
    }

    [Fact]
    public async Task Concurrent_creates_of_one_key_give_one_201_and_409s_never_a_500()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => _admin.PostJson("/v1/awe/policies", Simple("lc.race", $"Racer {i}"))));

        Assert.Single(attempts, a => a.Status == HttpStatusCode.Created);
        Assert.All(attempts.Where(a => a.Status != HttpStatusCode.Created), a => EnvelopeAssert.Error(a, HttpStatusCode.Conflict, "AWE-002"));
        Assert.Single(await VersionsAsync("lc.race"));
    }

    [Fact]
    public async Task List_returns_the_newest_version_of_each_key_whatever_its_status()
    {
        await CreateActiveAsync(_admin, Simple("lc.list.a", "A v1"));
        (await _admin.PutJson("/v1/awe/policies/lc.list.a", Simple("lc.list.a", "A v2"))).Expect(HttpStatusCode.Created);
        await CreateActiveAsync(_admin, Simple("lc.list.b", "B v1"));
        (await _admin.PostJson("/v1/awe/policies/lc.list.b/versions/1/deactivate")).Expect(HttpStatusCode.OK);
        await CreateAsync(Simple("lc.list.c", "C v1"));

        var list = (await fx.Viewer.GetJson("/v1/awe/policies")).Expect(HttpStatusCode.OK).Json.AsArray();

        var mine = list.Where(p => ((string)p!["policy_key"]!).StartsWith("lc.list.")).ToDictionary(p => (string)p!["policy_key"]!);
        Assert.Equal(3, mine.Count);
        Assert.Equal(list.Count, list.Select(p => (string?)p!["policy_key"]).Distinct().Count()); // one entry per key
        Assert.Equal((2, "draft", "A v2"), ((int)mine["lc.list.a"]!["version"]!, (string)mine["lc.list.a"]!["status"]!, (string)mine["lc.list.a"]!["name"]!));
        Assert.Equal((1, "archived"), ((int)mine["lc.list.b"]!["version"]!, (string)mine["lc.list.b"]!["status"]!));
        Assert.Equal((1, "draft"), ((int)mine["lc.list.c"]!["version"]!, (string)mine["lc.list.c"]!["status"]!));
        Assert.NotEmpty(mine["lc.list.a"]!["stages"]!.AsArray()); // full PolicyOut, not just the version row
    }

    [Fact]
    public async Task Versions_are_newest_first_and_unknown_key_is_404_AWE_001()
    {
        await CreateActiveAsync(_admin, Simple("lc.versions"));
        (await _admin.PutJson("/v1/awe/policies/lc.versions", Simple("lc.versions", "v2"))).Expect(HttpStatusCode.Created);
        (await _admin.PutJson("/v1/awe/policies/lc.versions", Simple("lc.versions", "v3"))).Expect(HttpStatusCode.Created);

        var versions = (await fx.Viewer.GetJson("/v1/awe/policies/lc.versions/versions")).Expect(HttpStatusCode.OK).Json.AsArray();

        Assert.Equal([3, 2, 1], versions.Select(v => (int)v!["version"]!));
        Assert.Equal(["draft", "draft", "active"], versions.Select(v => (string)v!["status"]!));
        foreach (var v in versions)
        {
            Assert.Equal("lc.versions", (string?)v!["policy_key"]);
            Assert.False(string.IsNullOrWhiteSpace((string?)v["id"]));
            Assert.NotNull(v["created_at"]);
        }
        Assert.Equal(3, versions.Select(v => (string?)v!["id"]).Distinct().Count());

        var message = EnvelopeAssert.ErrorMessage(await fx.Viewer.GetJson("/v1/awe/policies/lc.nobody/versions"), HttpStatusCode.NotFound, "AWE-001");
        Assert.Contains("lc.nobody", message);
    }

    [Fact]
    public async Task Get_version_404_says_whether_the_key_or_the_version_is_unknown()
    {
        await CreateAsync(Simple("lc.get"));

        var got = (await fx.Viewer.GetJson("/v1/awe/policies/lc.get/versions/1")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(("lc.get", 1), ((string)got["policy_key"]!, (int)got["version"]!));

        var unknownKey = EnvelopeAssert.ErrorMessage(await fx.Viewer.GetJson("/v1/awe/policies/lc.get.nope/versions/1"), HttpStatusCode.NotFound, "AWE-001");
        Assert.Contains("'lc.get.nope' does not exist", unknownKey);

        var unknownVersion = EnvelopeAssert.ErrorMessage(await fx.Viewer.GetJson("/v1/awe/policies/lc.get/versions/9"), HttpStatusCode.NotFound, "AWE-001");
        Assert.Contains("lc.get", unknownVersion);
        Assert.Contains("no version 9", unknownVersion);

        // A version that is not a number matches no route at all: still an envelope, never a 500.
        EnvelopeAssert.Error(await fx.Viewer.GetJson("/v1/awe/policies/lc.get/versions/one"), HttpStatusCode.NotFound, "AWE-016");
    }

    [Fact]
    public async Task Put_creates_a_new_draft_at_latest_plus_one_and_leaves_older_versions_untouched()
    {
        await CreateActiveAsync(_admin, Simple("lc.put", "First", "u-alice"));
        var v1 = await GetVersionAsync("lc.put", 1);

        var v2 = (await _admin.PutJson("/v1/awe/policies/lc.put", FullDocument("lc.put"))).Expect(HttpStatusCode.Created).Json;
        Assert.Equal((2, "draft", "Change request approval"), ((int)v2["version"]!, (string)v2["status"]!, (string)v2["name"]!));
        Assert.Equal(3, v2["stages"]!.AsArray().Count); // the body may differ entirely from v1
        Assert.NotEqual((string?)v1["id"], (string?)v2["id"]);

        // latest + 1 even when the latest is a draft
        var v3 = (await _admin.PutJson("/v1/awe/policies/lc.put", Simple("lc.put", "Third"))).Expect(HttpStatusCode.Created).Json;
        Assert.Equal(3, (int?)v3["version"]);

        Assert.Equal(new Dictionary<int, string> { [1] = "active", [2] = "draft", [3] = "draft" }, await StatusesAsync("lc.put"));
        AssertSamePolicy(v1, await GetVersionAsync("lc.put", 1));
    }

    [Fact]
    public async Task Put_with_a_body_key_other_than_the_url_is_400_AWE_010_and_creates_nothing()
    {
        await CreateAsync(Simple("lc.put.key"));

        var message = EnvelopeAssert.ErrorMessage(await _admin.PutJson("/v1/awe/policies/lc.put.key", Simple("lc.put.other")), HttpStatusCode.BadRequest, "AWE-010");

        Assert.Contains("lc.put.other", message);
        Assert.Contains("lc.put.key", message);
        Assert.Single(await VersionsAsync("lc.put.key"));
        EnvelopeAssert.Error(await _admin.GetJson("/v1/awe/policies/lc.put.other/versions"), HttpStatusCode.NotFound, "AWE-001");
    }

    [Fact]
    public async Task Put_on_an_unknown_key_is_404_AWE_001_and_creates_nothing()
    {
        var message = EnvelopeAssert.ErrorMessage(await _admin.PutJson("/v1/awe/policies/lc.put.ghost", Simple("lc.put.ghost")), HttpStatusCode.NotFound, "AWE-001");

        Assert.Contains("lc.put.ghost", message);
        EnvelopeAssert.Error(await _admin.GetJson("/v1/awe/policies/lc.put.ghost/versions"), HttpStatusCode.NotFound, "AWE-001");
    }

    [Fact]
    public async Task Patch_replaces_a_drafts_content_stages_and_rules_included()
    {
        var original = await CreateAsync(FullDocument("lc.patch"));
        var oldStageIds = original["stages"]!.AsArray().Select(s => (string)s!["id"]!).ToList();
        var editor = fx.As("editor", "AWE_ADMIN");

        var replacement = Policy("lc.patch", Stage(1, "all", null, User("u-zed"), User("u-yan", kind: "observer")));
        replacement["name"] = "Edited";
        replacement["artifact_type"] = "registry.intake_form";
        var patched = (await editor.PatchJson("/v1/awe/policies/lc.patch/versions/1", replacement)).Expect(HttpStatusCode.OK).Json;

        Assert.Equal((string?)original["id"], (string?)patched["id"]);
        Assert.Equal((1, "draft"), ((int)patched["version"]!, (string)patched["status"]!));
        Assert.Equal(("Edited", "registry.intake_form"), ((string)patched["name"]!, (string)patched["artifact_type"]!));
        Assert.Null(patched["description"]); // full replace: omitted fields return to their defaults
        Assert.False((bool)patched["forbid_self_approval"]!);
        Assert.Equal("sub-editor", (string?)patched["created_by"]);
        var stage = Assert.Single(patched["stages"]!.AsArray())!;
        Assert.Equal(("all", "block"), ((string)stage["mode"]!, (string)stage["on_empty"]!));
        Assert.Null(stage["skip_if"]);
        Assert.Empty(stage["escalation_rules"]!.AsArray());
        Assert.Equal(["u-zed", "u-yan"], stage["rules"]!.AsArray().Select(r => (string)r!["rule_value"]!["user_id"]!));
        Assert.DoesNotContain((string)stage["id"]!, oldStageIds);

        AssertSamePolicy(patched, await GetVersionAsync("lc.patch", 1));
        Assert.Single(await VersionsAsync("lc.patch"));
    }

    [Fact]
    public async Task Patch_key_mismatch_is_400_and_unknown_version_404()
    {
        await CreateAsync(Simple("lc.patch.key", "Kept"));

        EnvelopeAssert.Error(await _admin.PatchJson("/v1/awe/policies/lc.patch.key/versions/1", Simple("lc.patch.else")), HttpStatusCode.BadRequest, "AWE-010");
        EnvelopeAssert.Error(await _admin.PatchJson("/v1/awe/policies/lc.patch.key/versions/2", Simple("lc.patch.key")), HttpStatusCode.NotFound, "AWE-001");
        EnvelopeAssert.Error(await _admin.PatchJson("/v1/awe/policies/lc.patch.none/versions/1", Simple("lc.patch.none")), HttpStatusCode.NotFound, "AWE-001");
        Assert.Equal("Kept", (string?)(await GetVersionAsync("lc.patch.key", 1))["name"]);
    }

    [Fact]
    public async Task Patch_of_an_active_or_archived_version_is_409_AWE_007_and_changes_nothing()
    {
        await CreateActiveAsync(_admin, Simple("lc.patch.frozen", "Frozen"));
        var active = await GetVersionAsync("lc.patch.frozen", 1);

        var message = EnvelopeAssert.ErrorMessage(
            await _admin.PatchJson("/v1/awe/policies/lc.patch.frozen/versions/1", Simple("lc.patch.frozen", "Changed")), HttpStatusCode.Conflict, "AWE-007");
        Assert.Contains("active", message);
        Assert.Contains("PUT", message); // points at the way forward: a new draft

        (await _admin.PostJson("/v1/awe/policies/lc.patch.frozen/versions/1/deactivate")).Expect(HttpStatusCode.OK);
        message = EnvelopeAssert.ErrorMessage(
            await _admin.PatchJson("/v1/awe/policies/lc.patch.frozen/versions/1", Simple("lc.patch.frozen", "Changed")), HttpStatusCode.Conflict, "AWE-007");
        Assert.Contains("archived", message);

        var after = await GetVersionAsync("lc.patch.frozen", 1);
        Assert.Equal("Frozen", (string?)after["name"]);
        Assert.True(JsonNode.DeepEquals(active["stages"], after["stages"]));
    }

    [Fact]
    public async Task Activate_moves_draft_to_active_and_archives_the_previous_active_version()
    {
        await CreateAsync(Simple("lc.act", "v1"));
        var activated = (await Activate("lc.act", 1)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((1, "active"), ((int)activated["version"]!, (string)activated["status"]!));

        (await _admin.PutJson("/v1/awe/policies/lc.act", Simple("lc.act", "v2", "u-bob"))).Expect(HttpStatusCode.Created);
        Assert.Equal(new Dictionary<int, string> { [1] = "active", [2] = "draft" }, await StatusesAsync("lc.act"));

        var second = (await Activate("lc.act", 2)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("active", (string?)second["status"]);
        Assert.Equal(new Dictionary<int, string> { [1] = "archived", [2] = "active" }, await StatusesAsync("lc.act"));

        // New requests run the active version.
        var request = await RequestAsync(_admin, "lc.act");
        Assert.Equal("u-bob", (string?)Assert.Single(request["tasks"]!.AsArray())!["assignee"]);
        var stored = (await _admin.GetJson($"/v1/awe/requests/{request["request_id"]}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal(2, (int?)stored["policy_version"]);
    }

    [Fact]
    public async Task Activating_the_active_version_again_is_a_no_op()
    {
        await CreateActiveAsync(_admin, Simple("lc.act.noop"));
        var before = await GetVersionAsync("lc.act.noop", 1);

        var again = (await Activate("lc.act.noop", 1)).Expect(HttpStatusCode.OK).Json;

        Assert.Equal("active", (string?)again["status"]);
        var after = await GetVersionAsync("lc.act.noop", 1);
        Assert.Equal((string?)before["updated_at"], (string?)after["updated_at"]);
        Assert.Equal(new Dictionary<int, string> { [1] = "active" }, await StatusesAsync("lc.act.noop"));
    }

    [Fact]
    public async Task An_archived_version_can_be_activated_again_and_keeps_its_compiled_workflow()
    {
        await CreateActiveAsync(_admin, Simple("lc.act.back", "v1", "u-alice"));
        var compiled = (await _admin.GetJson("/v1/awe/policies/lc.act.back/versions/1/workflow")).Expect(HttpStatusCode.OK).Json;
        Assert.False((bool)compiled["preview"]!);
        Assert.Equal("active", (string?)compiled["policy_status"]);

        (await _admin.PutJson("/v1/awe/policies/lc.act.back", Simple("lc.act.back", "v2", "u-bob"))).Expect(HttpStatusCode.Created);
        (await Activate("lc.act.back", 2)).Expect(HttpStatusCode.OK);
        var archived = (await _admin.GetJson("/v1/awe/policies/lc.act.back/versions/1/workflow")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("archived", (string?)archived["policy_status"]);
        Assert.False((bool)archived["preview"]!); // the stored definition, not a fresh preview

        var back = (await Activate("lc.act.back", 1)).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("active", (string?)back["status"]);
        Assert.Equal(new Dictionary<int, string> { [1] = "active", [2] = "archived" }, await StatusesAsync("lc.act.back"));

        var recompiled = (await _admin.GetJson("/v1/awe/policies/lc.act.back/versions/1/workflow")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal((string?)compiled["compiled_at"], (string?)recompiled["compiled_at"]);
        Assert.True(JsonNode.DeepEquals(compiled, recompiled), $"definition changed on re-activation:\n{compiled}\n---\n{recompiled}");

        var request = await RequestAsync(_admin, "lc.act.back");
        Assert.Equal("u-alice", (string?)Assert.Single(request["tasks"]!.AsArray())!["assignee"]);
    }

    [Fact]
    public async Task Activate_of_an_unknown_key_or_version_is_404()
    {
        await CreateAsync(Simple("lc.act.missing"));
        EnvelopeAssert.Error(await Activate("lc.act.missing", 5), HttpStatusCode.NotFound, "AWE-001");
        EnvelopeAssert.Error(await Activate("lc.act.nobody", 1), HttpStatusCode.NotFound, "AWE-001");
        Assert.Equal(new Dictionary<int, string> { [1] = "draft" }, await StatusesAsync("lc.act.missing"));
    }

    [Fact]
    public async Task Deactivate_archives_the_active_version_after_which_new_requests_are_refused()
    {
        await CreateAsync(Simple("lc.deact"));

        var draftMessage = EnvelopeAssert.ErrorMessage(await _admin.PostJson("/v1/awe/policies/lc.deact/versions/1/deactivate"), HttpStatusCode.Conflict, "AWE-007");
        Assert.Contains("draft", draftMessage);

        (await Activate("lc.deact", 1)).Expect(HttpStatusCode.OK);
        var inFlight = await RequestAsync(_admin, "lc.deact", artifactId: "in-flight");

        var deactivated = (await _admin.PostJson("/v1/awe/policies/lc.deact/versions/1/deactivate")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("archived", (string?)deactivated["status"]);
        Assert.Equal(new Dictionary<int, string> { [1] = "archived" }, await StatusesAsync("lc.deact"));

        EnvelopeAssert.Error(await _admin.PostJson("/v1/awe/policies/lc.deact/versions/1/deactivate"), HttpStatusCode.Conflict, "AWE-007");

        var refused = await _admin.PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = "lc.deact", ["artifact_type"] = "test.artifact", ["artifact_id"] = "too-late",
        });
        Assert.Contains("no active version", EnvelopeAssert.ErrorMessage(refused, HttpStatusCode.NotFound, "AWE-001"));

        // In-flight requests carry on under the version they pinned.
        var task = inFlight["tasks"]![0]!;
        (await _admin.PostJson($"/v1/awe/tasks/{task["id"]}/decision", new JsonObject { ["action"] = "approve" })).Expect(HttpStatusCode.Created);
        var request = (await _admin.GetJson($"/v1/awe/requests/{inFlight["request_id"]}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("approved", (string?)request["status"]);
    }

    [Fact]
    public async Task Concurrent_activations_of_different_versions_leave_exactly_one_active()
    {
        const string key = "lc.race.activate";
        await CreateAsync(Simple(key, "v1"));
        for (var v = 2; v <= 4; v++)
            (await _admin.PutJson($"/v1/awe/policies/{key}", Simple(key, $"v{v}"))).Expect(HttpStatusCode.Created);

        // Rounds cover draft→active and archived→active races, two and several contenders at once.
        int[][] rounds = [[1, 2], [3, 4], [1, 3], [2, 4], [1, 2, 3, 4], [4, 3, 2, 1], [2, 3], [1, 4]];
        foreach (var contenders in rounds)
        {
            var clients = contenders.Select(_ => fx.Admin).ToList();
            var replies = await Task.WhenAll(contenders.Select((v, i) => clients[i].PostJson($"/v1/awe/policies/{key}/versions/{v}/activate")));

            Assert.All(replies, r => r.Expect(HttpStatusCode.OK));
            var statuses = await StatusesAsync(key);
            var active = Assert.Single(statuses, s => s.Value == "active");
            Assert.Contains(active.Key, contenders);
            Assert.All(contenders.Where(v => v != active.Key), v => Assert.Equal("archived", statuses[v]));

            var request = await RequestAsync(_admin, key, artifactId: $"round-{string.Join("-", contenders)}");
            var stored = (await _admin.GetJson($"/v1/awe/requests/{request["request_id"]}")).Expect(HttpStatusCode.OK).Json;
            Assert.Equal(active.Key, (int?)stored["policy_version"]);
        }
    }

    [Fact]
    public async Task Concurrent_new_versions_get_distinct_numbers_or_a_clean_conflict()
    {
        const string key = "lc.race.put";
        await CreateAsync(Simple(key));

        var replies = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => fx.Admin.PutJson($"/v1/awe/policies/{key}", Simple(key, $"draft {i}"))));

        var created = replies.Where(r => r.Status == HttpStatusCode.Created).Select(r => (int)r.Json["version"]!).ToList();
        Assert.NotEmpty(created);
        Assert.Equal(created.Count, created.Distinct().Count());
        Assert.All(replies.Where(r => r.Status != HttpStatusCode.Created), r => EnvelopeAssert.Error(r, HttpStatusCode.Conflict, "AWE-007"));
        var versions = (await VersionsAsync(key)).Select(v => (int)v!["version"]!).Order().ToList();
        Assert.Equal(Enumerable.Range(1, created.Count + 1), versions);
    }

    /// <summary>Same content; timestamps compared to the microsecond, the precision PostgreSQL keeps.</summary>
    private static void AssertSamePolicy(JsonNode expected, JsonNode actual)
    {
        static JsonNode Strip(JsonNode node)
        {
            var copy = node.DeepClone().AsObject();
            copy.Remove("created_at");
            copy.Remove("updated_at");
            return copy;
        }
        Assert.True(JsonNode.DeepEquals(Strip(expected), Strip(actual)), $"stored policy differs:\n{expected}\n---\n{actual}");
        foreach (var field in new[] { "created_at", "updated_at" })
            Assert.InRange(((DateTime)actual[field]! - (DateTime)expected[field]!).Duration(), TimeSpan.Zero, TimeSpan.FromMilliseconds(0.001));
    }
}
