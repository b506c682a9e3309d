namespace Awe.Studio.Features.Designer.Diff;

public static class CompareLink
{
    /// <summary>The compare page for a version against the one before it (the first against the second); null with one version.</summary>
    public static string? For(string key, int version, IEnumerable<int> versions)
    {
        var numbers = versions.Order().ToList();
        if (numbers.Count < 2) return null;
        var before = numbers.Where(n => n < version).DefaultIfEmpty().Max();
        var (from, to) = before > 0 ? (before, version) : (version, numbers.First(n => n > version));
        return $"/policies/{Uri.EscapeDataString(key)}/compare?from={from}&to={to}";
    }
}
