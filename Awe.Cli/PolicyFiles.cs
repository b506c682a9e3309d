using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Activities.Policies;

namespace Awe.Cli;

/// <summary>A policy file, read and validated offline by the server's own reader.</summary>
internal sealed record PolicyFile(string Path, JsonObject? Document, IReadOnlyList<ValidationProblem> Problems)
{
    public string? Key => Document?["policy_key"]?.GetValue<string>();

    /// <summary>The files named, folders expanded to their *.json files (sorted, so runs are repeatable).</summary>
    public static IReadOnlyList<PolicyFile> Load(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path)) files.AddRange(Directory.GetFiles(path, "*.json").Order(StringComparer.Ordinal));
            else if (File.Exists(path)) files.Add(path);
            else throw new UsageException($"{path}: no such file or folder");
        }
        if (files.Count == 0) throw new UsageException("no policy files (*.json) found");
        return files.Select(Read).ToList();
    }

    private static PolicyFile Read(string path)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            return new PolicyFile(path, null, [new ValidationProblem("", $"is not valid JSON: {e.Message}")]);
        }
        var (document, problems) = PolicyDocument.Read(node);
        return new PolicyFile(path, document, problems);
    }

    /// <summary>Prints every problem as "file: path: message", the path being the API's own (e.g. stages[0].mode).</summary>
    public static bool Report(IReadOnlyList<PolicyFile> files, TextWriter error)
    {
        foreach (var f in files)
        foreach (var p in f.Problems)
            error.WriteLine($"{f.Path}: {p}");
        var keys = files.Where(f => f.Key is not null).GroupBy(f => f.Key).Where(g => g.Count() > 1).ToList();
        foreach (var g in keys) error.WriteLine($"{string.Join(", ", g.Select(f => f.Path))}: policy_key '{g.Key}' appears in more than one file");
        return files.All(f => f.Problems.Count == 0) && keys.Count == 0;
    }
}
