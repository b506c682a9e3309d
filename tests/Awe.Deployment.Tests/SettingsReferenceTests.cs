using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Awe.Deployment.Tests;

/// <summary>
/// Every AWE__* variable the deployment files set names a key of config/default.yaml: the host refuses unknown keys
/// at start, so a misspelt one here would be a pod that never starts.
/// </summary>
public sealed partial class SettingsReferenceTests
{
    private static HashSet<string> Settings()
    {
        static IEnumerable<string> Leaves(JsonNode? node, string path) => node switch
        {
            JsonObject o => o.SelectMany(kv => Leaves(kv.Value, path.Length == 0 ? kv.Key : $"{path}.{kv.Key}")),
            _ => [path],
        };
        return Leaves(Yaml.Parse(Repo.Read("config/default.yaml"))!["awe"], "").ToHashSet();
    }

    /// <summary>AWE__WEBHOOK__BACKOFF_SECONDS__0 → webhook.backoff_seconds (list items are the list's setting).</summary>
    private static string KeyOf(string variable) =>
        string.Join('.', variable["AWE__".Length..].ToLowerInvariant().Split("__").Where(p => !p.All(char.IsDigit)));

    [Theory]
    [InlineData("docker-compose.yml")]
    [InlineData("Awe.Host/Dockerfile")]
    [InlineData("helm/openg2p-awe/templates/deployment-awe.yaml")]
    [InlineData("helm/openg2p-awe/values.yaml")]
    public void Every_awe_variable_names_a_setting(string file)
    {
        var variables = Variable().Matches(Repo.Read(file)).Select(m => m.Value).Distinct().ToList();
        Assert.NotEmpty(variables);
        var settings = Settings();
        Assert.All(variables, v => Assert.True(settings.Contains(KeyOf(v)), $"{file}: {v} is not a key of config/default.yaml"));
    }

    // Studio's own settings (another process) and the comment placeholder AWE__SECTION__KEY aside.
    [GeneratedRegex(@"\bAWE__(?!STUDIO__|SECTION__)[A-Z0-9_]+")]
    private static partial Regex Variable();

    [Fact]
    public void Every_key_the_chart_puts_under_awe_config_is_a_setting()
    {
        var config = Yaml.Parse(Repo.Read("helm/openg2p-awe/values.yaml"))!["awe"]!["config"]!;
        static IEnumerable<string> Leaves(JsonNode? node, string path) => node switch
        {
            JsonObject o => o.SelectMany(kv => Leaves(kv.Value, path.Length == 0 ? kv.Key : $"{path}.{kv.Key}")),
            _ => [path],
        };
        var keys = Leaves(config, "").ToList();
        Assert.NotEmpty(keys);
        Assert.Empty(keys.Except(Settings()));
    }
}
