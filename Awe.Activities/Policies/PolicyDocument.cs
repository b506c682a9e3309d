using System.Text.Json;
using System.Text.Json.Nodes;

namespace Awe.Activities.Policies;

/// <summary>One difference between a policy on the server and the one in a file.</summary>
/// <param name="Stage">stage_order of the stage concerned; null for the policy's own fields</param>
/// <param name="Change">"added", "removed" or "changed"</param>
/// <param name="Fields">the fields that differ (for "changed")</param>
public sealed record PolicyChange(int? Stage, string Change, IReadOnlyList<string> Fields);

/// <summary>
/// A policy as a canonical document in the API's schema: what a file holds after validation, with defaults written
/// out, stages in stage_order and nothing the server adds (ids, versions, statuses). Two documents that mean the same
/// policy are equal, so "apply" makes a version only when something changed and "export" writes files that apply
/// round-trips exactly.
/// </summary>
public static class PolicyDocument
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static JsonObject Canonical(PolicyInput policy) => JsonSerializer.SerializeToNode(policy, Json)!.AsObject();

    /// <summary>Reads any policy document (a file, or a version as the server answers it) into its canonical form.</summary>
    public static (JsonObject? Document, IReadOnlyList<ValidationProblem> Problems) Read(JsonNode? document)
    {
        var (policy, problems) = PolicyReader.Read(document);
        return (policy is null ? null : Canonical(policy), problems);
    }

    /// <summary>What applying <paramref name="desired"/> would change on <paramref name="current"/> (null: the policy does not exist), stage by stage.</summary>
    public static IReadOnlyList<PolicyChange> Compare(JsonObject? current, JsonObject desired)
    {
        if (current is null) return [new PolicyChange(null, "added", [])];
        var changes = new List<PolicyChange>();
        var own = Differing(current, desired, except: "stages");
        if (own.Count > 0) changes.Add(new PolicyChange(null, "changed", own));
        var before = Stages(current);
        var after = Stages(desired);
        foreach (var order in before.Keys.Union(after.Keys).Order())
        {
            if (!before.TryGetValue(order, out var old)) changes.Add(new PolicyChange(order, "added", []));
            else if (!after.TryGetValue(order, out var @new)) changes.Add(new PolicyChange(order, "removed", []));
            else if (Differing(old, @new) is { Count: > 0 } fields) changes.Add(new PolicyChange(order, "changed", fields));
        }
        return changes;
    }

    private static Dictionary<int, JsonObject> Stages(JsonObject policy) =>
        (policy["stages"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(s => s["stage_order"]!.GetValue<int>());

    private static List<string> Differing(JsonObject a, JsonObject b, string? except = null) =>
        a.Select(p => p.Key).Union(b.Select(p => p.Key)).Where(k => k != except && !JsonNode.DeepEquals(a[k], b[k])).Order(StringComparer.Ordinal).ToList();
}
