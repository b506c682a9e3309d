using System.Text.Json.Nodes;
using Awe.Activities.Policies;

namespace Awe.Activities.Tests;

/// <summary>The canonical form behind awe apply/diff/export and the start-up import.</summary>
public sealed class PolicyDocumentTests
{
    private static JsonObject Read(string json)
    {
        var (document, problems) = PolicyDocument.Read(JsonNode.Parse(json));
        Assert.Empty(problems);
        return document!;
    }

    private const string Base = """
        {"policy_key": "p", "name": "P", "artifact_type": "a", "stages": [
          {"name": "one", "stage_order": 1, "rules": [{"rule_type": "user", "rule_value": {"user_id": "u1"}}]},
          {"name": "two", "stage_order": 2, "mode": "any-n", "mode_value": 1, "rules": [{"rule_type": "user", "rule_value": {"user_id": "u2"}}]}]}
        """;

    [Fact]
    public void Defaults_spelled_out_stage_order_in_the_file_and_echoed_server_fields_are_no_change()
    {
        var spelled = Read("""
            {"id": "x", "version": 4, "status": "active", "policy_key": "p", "name": "P", "artifact_type": "a", "forbid_self_approval": false,
             "stages": [
              {"id": "s2", "name": "two", "stage_order": 2, "mode": "ANY-N", "mode_value": 1, "on_empty": "block", "escalation_rules": [],
               "rules": [{"id": "r2", "rule_type": "user", "kind": "approver", "required": false, "rule_value": {"user_id": "u2"}}]},
              {"name": "one", "stage_order": 1, "mode": "all", "mode_value": null, "rules": [{"rule_type": "user", "rule_value": {"user_id": "u1"}}]}]}
            """);
        Assert.Empty(PolicyDocument.Compare(Read(Base), spelled));
        Assert.True(JsonNode.DeepEquals(Read(Base), spelled));
    }

    [Fact]
    public void Changes_are_reported_stage_by_stage_with_their_fields()
    {
        var desired = Read(Base.Replace("\"mode_value\": 1", "\"mode_value\": 1, \"sla_hours\": 8").Replace("\"name\": \"P\"", "\"name\": \"Q\""));
        var changes = PolicyDocument.Compare(Read(Base), desired);
        Assert.Equal([new PolicyChange(null, "changed", ["name"]), new PolicyChange(2, "changed", ["sla_hours"])],
            changes.Select(c => c with { Fields = [.. c.Fields] }), new ChangeComparer());
    }

    [Fact]
    public void Added_and_removed_stages_and_a_new_policy()
    {
        var trimmed = JsonNode.Parse(Base)!;
        trimmed["stages"]!.AsArray().RemoveAt(1);
        var oneStage = Read(trimmed.ToJsonString());
        Assert.Equal([(2, "removed")], PolicyDocument.Compare(Read(Base), oneStage).Select(c => (c.Stage!.Value, c.Change)));
        Assert.Equal([(2, "added")], PolicyDocument.Compare(oneStage, Read(Base)).Select(c => (c.Stage!.Value, c.Change)));
        Assert.Equal("added", Assert.Single(PolicyDocument.Compare(null, Read(Base))).Change);
    }

    [Fact]
    public void Rule_values_are_compared_deeply()
    {
        var other = Read(Base.Replace("\"u1\"", "\"u9\""));
        var change = Assert.Single(PolicyDocument.Compare(Read(Base), other));
        Assert.Equal(1, change.Stage);
        Assert.Equal(["rules"], change.Fields);
    }

    private sealed class ChangeComparer : IEqualityComparer<PolicyChange>
    {
        public bool Equals(PolicyChange? a, PolicyChange? b) => a!.Stage == b!.Stage && a.Change == b.Change && a.Fields.SequenceEqual(b.Fields);
        public int GetHashCode(PolicyChange c) => c.Change.GetHashCode();
    }
}
