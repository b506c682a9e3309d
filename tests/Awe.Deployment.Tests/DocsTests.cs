using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Awe.Deployment.Tests;

/// <summary>The documentation an operator follows matches the files it describes.</summary>
public sealed partial class DocsTests
{
    private static IEnumerable<string> Leaves(JsonNode? node, string path) => node switch
    {
        JsonObject o => o.SelectMany(kv => Leaves(kv.Value, path.Length == 0 ? kv.Key : $"{path}.{kv.Key}")),
        _ => [path], // scalars and lists are one setting each
    };

    [Fact]
    public void The_configuration_reference_lists_exactly_the_keys_of_default_yaml()
    {
        var file = Leaves(Yaml.Parse(Repo.Read("config/default.yaml"))!["awe"], "").ToHashSet();
        var doc = Repo.Read("docs/configuration.md");
        var table = doc[doc.IndexOf("## Keys", StringComparison.Ordinal)..];
        table = table[..(table.IndexOf("\n## ", 5, StringComparison.Ordinal) is var end and > 0 ? end : table.Length)];
        var documented = KeyRow().Matches(table).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(documented.Count, documented.Distinct().Count());
        Assert.True(file.Count > 40, $"only {file.Count} keys read from config/default.yaml");
        Assert.Empty(file.Except(documented).Order());   // in the file, missing from the docs
        Assert.Empty(documented.Except(file).Order());   // documented, not in the file
    }

    [GeneratedRegex(@"^\| `([a-z_.]+)` \|", RegexOptions.Multiline)]
    private static partial Regex KeyRow();

    [Fact]
    public void The_deployment_guide_names_every_teardown_flag_and_every_chart_value_section()
    {
        var guide = Repo.Read("docs/deployment.md");
        var usage = Repo.Read($"{Repo.Chart}/scripts/teardown.sh");
        foreach (Match flag in Flag().Matches(usage[usage.IndexOf("usage() {", StringComparison.Ordinal)..usage.IndexOf("EOF\n}", StringComparison.Ordinal)]))
            Assert.Contains($"`{flag.Value}", guide);
        var values = Yaml.Parse(Repo.Read($"{Repo.Chart}/values.yaml"))!;
        foreach (var section in new[] { "awe", "ui", "istio" })
            foreach (var key in values[section]!.AsObject().Select(kv => kv.Key))
                Assert.Contains($"{section}.{key}", guide);
    }

    [GeneratedRegex(@"--[a-z][a-z-]+")]
    private static partial Regex Flag();
}
