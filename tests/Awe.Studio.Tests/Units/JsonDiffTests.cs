using System.Text.Json.Nodes;
using Awe.Studio.Features.Audit;

namespace Awe.Studio.Tests.Units;

/// <summary>The audit page's diff of an entry's before and after.</summary>
public sealed class JsonDiffTests
{
    private static JsonNode? J(string json) => JsonNode.Parse(json);

    private static List<string> Lines(string? before, string? after) =>
        JsonDiff.Compare(before is null ? null : J(before), after is null ? null : J(after))
            .Select(c => c.Kind switch
            {
                ChangeKind.Added => $"Added {c.Path}: {JsonDiff.Show(c.After)}",
                ChangeKind.Removed => $"Removed {c.Path}: {JsonDiff.Show(c.Before)}",
                _ => $"Changed {c.Path}: {JsonDiff.Show(c.Before)} -> {JsonDiff.Show(c.After)}",
            })
            .ToList();

    [Fact]
    public void Changed_keys_show_old_and_new_and_unchanged_keys_are_left_out()
    {
        Assert.Equal(["Changed status: \"active\" -> \"archived\"", "Changed version: 1 -> 2"],
            Lines("""{"status":"active","version":1,"name":"Invoice"}""", """{"status":"archived","version":2,"name":"Invoice"}"""));
    }

    [Fact]
    public void Keys_only_on_one_side_are_added_or_removed_whole()
    {
        Assert.Equal(["Removed reason: \"away\"", "Added grace: {\"hours\":24}"],
            Lines("""{"id":"1","reason":"away"}""", """{"id":"1","grace":{"hours":24}}"""));
    }

    [Fact]
    public void Nested_objects_and_arrays_are_compared_down_to_the_value_that_differs()
    {
        var before = """{"stages":[{"name":"Review","rules":[{"user_id":"u-a"}]},{"name":"Sign-off"}]}""";
        var after = """{"stages":[{"name":"Review","rules":[{"user_id":"u-b"}]}]}""";
        Assert.Equal(["Changed stages[0].rules[0].user_id: \"u-a\" -> \"u-b\"", "Removed stages[1]: {\"name\":\"Sign-off\"}"], Lines(before, after));
        Assert.Equal(["Added tags[2]: \"c\""], Lines("""{"tags":["a","b"]}""", """{"tags":["a","b","c"]}"""));
    }

    [Fact]
    public void A_json_null_is_a_value_so_null_to_something_is_a_change_not_an_addition()
    {
        Assert.Equal(["Changed reason: null -> \"sick\""], Lines("""{"reason":null}""", """{"reason":"sick"}"""));
        Assert.Equal(["Removed reason: null"], Lines("""{"reason":null}""", "{}"));
        Assert.Empty(Lines("""{"reason":null}""", """{"reason":null}"""));
    }

    [Fact]
    public void A_creation_lists_every_field_as_added_and_a_deletion_every_field_as_removed()
    {
        Assert.Equal(["Added user_id: \"u-a\"", "Added delegate_to: \"u-b\""], Lines(null, """{"user_id":"u-a","delegate_to":"u-b"}"""));
        Assert.Equal(["Removed user_id: \"u-a\""], Lines("""{"user_id":"u-a"}""", null));
        Assert.Empty(Lines(null, null));
    }

    [Fact]
    public void A_value_that_changes_type_is_one_change_and_odd_keys_are_quoted_in_the_path()
    {
        Assert.Equal(["Changed a: {\"x\":1} -> [1]"], Lines("""{"a":{"x":1}}""", """{"a":[1]}"""));
        Assert.Equal(["Changed ctx[\"a.b\"]: 1 -> 2", "Changed ctx[\"größe\"]: \"S\" -> \"M\""],
            Lines("""{"ctx":{"a.b":1,"größe":"S"}}""", """{"ctx":{"a.b":2,"größe":"M"}}"""));
        Assert.Equal(["Changed : 1 -> \"1\""], Lines("1", "\"1\""));
    }
}
