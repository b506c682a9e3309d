using System.Text.Json;
using System.Text.Json.Nodes;

namespace Awe.Studio.Features.Audit;

public enum ChangeKind { Added, Removed, Changed }

/// <summary>One difference between two JSON documents, at <paramref name="Path"/> (e.g. <c>stages[0].rules[1].user_id</c>; "" is the whole document).</summary>
public sealed record JsonChange(string Path, ChangeKind Kind, JsonNode? Before, JsonNode? After);

/// <summary>
/// What changed between an audit entry's before and after: objects are compared key by key and arrays index by
/// index, down to the values that differ; a key or element present on one side only is reported whole (added or
/// removed), not leaf by leaf, so a new stage reads as one change.
/// </summary>
public static class JsonDiff
{
    /// <param name="before">null: there was nothing before (a creation); its top-level fields are each "added".</param>
    /// <param name="after">null: nothing is left (a deletion); its top-level fields are each "removed".</param>
    public static IReadOnlyList<JsonChange> Compare(JsonNode? before, JsonNode? after)
    {
        var changes = new List<JsonChange>();
        switch (before, after)
        {
            case (null, null):
                break;
            case (null, JsonObject created):
                changes.AddRange(created.Select(p => new JsonChange(Key("", p.Key), ChangeKind.Added, null, p.Value)));
                break;
            case (null, _):
                changes.Add(new("", ChangeKind.Added, null, after));
                break;
            case (JsonObject deleted, null):
                changes.AddRange(deleted.Select(p => new JsonChange(Key("", p.Key), ChangeKind.Removed, p.Value, null)));
                break;
            case (_, null):
                changes.Add(new("", ChangeKind.Removed, before, null));
                break;
            default:
                Walk("", before, after, changes);
                break;
        }
        return changes;
    }

    /// <summary>Below the root a null node is a JSON null that is there, not an absent value: null → 1 is a change.</summary>
    private static void Walk(string path, JsonNode? before, JsonNode? after, List<JsonChange> changes)
    {
        switch (before, after)
        {
            case (JsonObject b, JsonObject a):
                foreach (var (key, value) in b)
                {
                    if (a.TryGetPropertyValue(key, out var other)) Walk(Key(path, key), value, other, changes);
                    else changes.Add(new(Key(path, key), ChangeKind.Removed, value, null));
                }
                foreach (var (key, value) in a)
                    if (!b.ContainsKey(key)) changes.Add(new(Key(path, key), ChangeKind.Added, null, value));
                return;
            case (JsonArray b, JsonArray a):
                for (var i = 0; i < Math.Max(b.Count, a.Count); i++)
                {
                    var at = $"{path}[{i}]";
                    if (i >= a.Count) changes.Add(new(at, ChangeKind.Removed, b[i], null));
                    else if (i >= b.Count) changes.Add(new(at, ChangeKind.Added, null, a[i]));
                    else Walk(at, b[i], a[i], changes);
                }
                return;
            default:
                if (!JsonNode.DeepEquals(before, after)) changes.Add(new(path, ChangeKind.Changed, before, after));
                return;
        }
    }

    /// <summary>A key joined to its parent's path; keys that are not plain names are quoted (<c>a["x.y"]</c>).</summary>
    private static string Key(string path, string key)
    {
        var plain = key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-');
        var part = plain ? key : JsonSerializer.Serialize(key, Compact);
        return path == "" ? part : plain ? $"{path}.{part}" : $"{path}[{part}]";
    }

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A value as one line of JSON for the diff table.</summary>
    public static string Show(JsonNode? value) => value is null ? "null" : value.ToJsonString(Compact);
}
