using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Awe.Deployment.Tests;

/// <summary>YAML read as JSON nodes (plain scalars typed the way Helm's YAML reader types them), and Helm templates
/// reduced to the YAML they are made of.</summary>
public static partial class Yaml
{
    public static JsonNode? Parse(string text) => Documents(text).SingleOrDefault();

    public static List<JsonNode?> Documents(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => ToJson(d.RootNode)).ToList();
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s => Plain(s.Value ?? ""),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType}"),
    };

    private static JsonNode? Plain(string v)
    {
        if (v is "" or "~" or "null" or "Null" or "NULL") return null;
        if (v is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (v is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (IntPattern().IsMatch(v)) return JsonValue.Create(long.Parse(v, CultureInfo.InvariantCulture));
        if (FloatPattern().IsMatch(v)) return JsonValue.Create(double.Parse(v, CultureInfo.InvariantCulture));
        return JsonValue.Create(v);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?([0-9]*\.[0-9]+|[0-9]+\.)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    /// <summary>
    /// A template with its Go-template actions taken out: comments and control actions vanish, of each
    /// if/else only the first branch stays (two branches side by side would repeat keys), an action that renders
    /// a block (toYaml, include … | nindent) vanishes, and any other action becomes the scalar "x".
    /// </summary>
    public static string StripTemplate(string template)
    {
        var text = CommentPattern().Replace(template, "");
        var output = new StringBuilder();
        var blocks = new Stack<(string Kind, bool Skipping)>();
        bool Skipping() => blocks.Any(b => b.Skipping);
        var position = 0;
        foreach (Match action in ActionPattern().Matches(text))
        {
            if (!Skipping()) output.Append(text, position, action.Index - position);
            position = action.Index + action.Length;
            var body = action.Groups["body"].Value.Trim();
            var word = body.Split(' ', 2)[0];
            switch (word)
            {
                case "if" or "with" or "range" or "define" or "block":
                    blocks.Push((word, false));
                    break;
                case "else":
                    var open = blocks.Pop();
                    blocks.Push((open.Kind, true));
                    break;
                case "end":
                    blocks.Pop();
                    break;
                default:
                    var rendersBlock = body.Contains("toYaml") || body.Contains("indent");
                    var isAssignment = AssignmentPattern().IsMatch(body);
                    if (!Skipping() && !rendersBlock && !isAssignment && !body.StartsWith("fail")) output.Append('x');
                    break;
            }
        }
        if (!Skipping()) output.Append(text, position, text.Length - position);
        if (blocks.Count > 0) throw new InvalidOperationException($"unclosed {blocks.Peek().Kind} block");
        return output.ToString();
    }

    [GeneratedRegex(@"\{\{-?\s*/\*.*?\*/\s*-?\}\}", RegexOptions.Singleline)]
    private static partial Regex CommentPattern();

    [GeneratedRegex(@"\{\{-?(?<body>.*?)-?\}\}", RegexOptions.Singleline)]
    private static partial Regex ActionPattern();

    [GeneratedRegex(@"^\$[A-Za-z_][A-Za-z0-9_]*\s*:?=")]
    private static partial Regex AssignmentPattern();
}
