using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Activities.Model;

namespace Awe.Activities.Policies;

/// <summary>
/// Reads typed fields out of a JSON object while collecting every problem with its path, so that a caller
/// learns about all mistakes in one response instead of fixing them one at a time.
/// </summary>
public sealed class JsonFieldReader(List<ValidationProblem> problems)
{
    public List<ValidationProblem> Problems { get; } = problems;

    public void Fail(string path, string message) => Problems.Add(new ValidationProblem(path, message));

    public static string Join(string path, string field) => path.Length == 0 ? field : $"{path}.{field}";

    public JsonObject? Object(JsonNode? node, string path)
    {
        if (node is JsonObject o) return o;
        Fail(path, node is null ? "is required and must be an object" : $"must be an object, not {Describe(node)}");
        return null;
    }

    public string? String(JsonObject o, string path, string field, bool required, int maxLength, int minLength = 1)
    {
        var p = Join(path, field);
        if (!o.TryGetPropertyValue(field, out var node) || node is null)
        {
            if (required) Fail(p, "is required");
            return null;
        }
        if (node is not JsonValue v || !v.TryGetValue(out string? s))
        {
            Fail(p, $"must be a string, not {Describe(node)}");
            return null;
        }
        if (s.Trim().Length < minLength)
        {
            Fail(p, minLength == 1 ? "must not be empty" : $"must have at least {minLength} characters");
            return null;
        }
        if (s.Length > maxLength)
        {
            Fail(p, $"must be at most {maxLength} characters (got {s.Length})");
            return null;
        }
        return s;
    }

    /// <summary>A user id, returned in canonical form (see <see cref="UserIds"/>); one with invisible characters is refused.</summary>
    public string? UserId(JsonObject o, string path, string field, bool required)
    {
        // The raw length bound only stops absurd input early; the real bound is on the canonical form.
        var s = String(o, path, field, required, maxLength: 4 * UserIds.MaxLength);
        if (s is null) return null;
        if (UserIds.Problem(s) is { } problem)
        {
            Fail(Join(path, field), $"is not a usable user id: it {problem}");
            return null;
        }
        return UserIds.Canonical(s);
    }

    public int? Int(JsonObject o, string path, string field, bool required, int min, int max = int.MaxValue)
    {
        var p = Join(path, field);
        if (!o.TryGetPropertyValue(field, out var node) || node is null)
        {
            if (required) Fail(p, "is required");
            return null;
        }
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out decimal d) || d != decimal.Truncate(d))
        {
            Fail(p, $"must be an integer, not {Describe(node)}");
            return null;
        }
        if (d < min || d > max)
        {
            // Only an open-ended range gets the one-sided wording, and only for the side that was crossed.
            Fail(p, max != int.MaxValue ? $"must be between {min} and {max} (got {d})"
                : d < min ? $"must be ≥ {min} (got {d})"
                : $"must be at most {max} (got {d})");
            return null;
        }
        return (int)d;
    }

    public bool Bool(JsonObject o, string path, string field, bool defaultValue)
    {
        if (!o.TryGetPropertyValue(field, out var node) || node is null) return defaultValue;
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        Fail(Join(path, field), $"must be true or false, not {Describe(node)}");
        return defaultValue;
    }

    /// <summary>A string restricted to a vocabulary, matched case-insensitively and returned lower-case.</summary>
    public string? OneOf(JsonObject o, string path, string field, IReadOnlyList<string> allowed, string? defaultValue)
    {
        if (!o.TryGetPropertyValue(field, out var node) || node is null) return defaultValue;
        var p = Join(path, field);
        if (node is JsonValue v && v.TryGetValue(out string? s))
        {
            var lower = s.Trim().ToLowerInvariant();
            if (allowed.Contains(lower)) return lower;
            Fail(p, $"must be one of {string.Join(", ", allowed.Select(a => $"'{a}'"))} (got '{s}')");
            return defaultValue;
        }
        Fail(p, $"must be a string, one of {string.Join(", ", allowed.Select(a => $"'{a}'"))}");
        return defaultValue;
    }

    public JsonArray? Array(JsonObject o, string path, string field)
    {
        if (!o.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node is JsonArray a) return a;
        Fail(Join(path, field), $"must be an array, not {Describe(node)}");
        return null;
    }

    public void RejectUnknown(JsonObject o, string path, IReadOnlyCollection<string> known, IReadOnlyDictionary<string, string>? hints = null)
    {
        foreach (var (name, _) in o)
        {
            if (known.Contains(name)) continue;
            var hint = hints is not null && hints.TryGetValue(name, out var h) ? $" ({h})" : "";
            Fail(Join(path, name), $"is not a known field{hint}");
        }
    }

    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "a value",
        },
        _ => "a value",
    };
}
