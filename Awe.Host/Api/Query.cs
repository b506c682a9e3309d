using System.Globalization;

namespace Awe.Host.Api;

/// <summary>Checks query-string values and explains a bad one instead of silently clamping it.</summary>
public static class Query
{
    public static int Limit(int? value, int defaultValue, int max, string name = "limit")
    {
        if (value is null) return defaultValue;
        if (value < 1 || value > max) throw AweException.Invalid($"must be between 1 and {max} (got {value})", name);
        return value.Value;
    }

    public static DateTime? Time(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return t.UtcDateTime;
        throw AweException.Invalid($"must be an ISO 8601 timestamp such as 2026-01-31T12:00:00Z (got '{value}')", name);
    }
}
