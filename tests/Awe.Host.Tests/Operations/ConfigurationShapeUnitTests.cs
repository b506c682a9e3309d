using Awe.Host.Configuration;
using Microsoft.Extensions.Configuration;

namespace Awe.Host.Tests.Operations;

/// <summary>The shape check on every kind of setting: scalars, lists, sections and named entries (dictionaries).</summary>
public sealed class ConfigurationShapeUnitTests
{
    public sealed class Options
    {
        [ConfigurationKeyName("count")] public int Count { get; set; }
        [ConfigurationKeyName("items")] public List<int> Items { get; set; } = [];
        [ConfigurationKeyName("named")] public Dictionary<string, Entry> Named { get; set; } = [];
    }

    public sealed class Entry
    {
        [ConfigurationKeyName("enabled")] public bool Enabled { get; set; }
        [ConfigurationKeyName("days")] public List<string> Days { get; set; } = [];
    }

    private static List<string> Check(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create<string, string?>(s.Key, s.Value))).Build();
        return ConfigurationShape.Check(configuration.GetSection("awe"), typeof(Options));
    }

    [Fact]
    public void Well_formed_settings_pass()
    {
        Assert.Empty(Check(("awe:count", "3"), ("awe:items:0", "1"), ("awe:items:1", "2"), ("awe:named:office:enabled", "true"),
            ("awe:named:office:days:0", "mon"), ("awe:named:home:enabled", "false"), ("awe:items", "")));
    }

    [Fact]
    public void Each_problem_names_its_key()
    {
        var problems = Check(("awe:count", "x"), ("awe:items:1", "two"), ("awe:items:first", "1"), ("awe:named:office:enabled", "yes"),
            ("awe:named:office:colour", "red"), ("awe:named:home", "on"), ("awe:cuont", "1"));

        string[] expected =
        [
            "awe.count must be a whole number (got 'x')",
            "awe.items[1] must be a whole number (got 'two')",
            "awe.items.first is not a setting (awe.items is a list: items are awe.items[0], [1], ...)",
            "awe.named.office.enabled must be true or false (got 'yes')",
            "awe.named.office.colour is not a setting (settings under awe.named.office: enabled, days)",
            "awe.named.home is a section, not a value (got 'on')",
            "awe.cuont is not a setting (settings under awe: count, items, named)",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), problems.Order(StringComparer.Ordinal));
    }
}
