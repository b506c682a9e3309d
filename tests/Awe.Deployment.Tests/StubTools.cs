namespace Awe.Deployment.Tests;

/// <summary>
/// Fake kubectl / helm / jq in a temporary bin directory. Each records its arguments (one line per call, and the
/// standard input of `kubectl exec`) in calls.log, then answers from a table: the first glob that matches the
/// arguments gives the output and exit code, as the real tool would answer that read. Unmatched calls print nothing
/// and succeed (deletes of things that are not there, with --ignore-not-found). jq is the real one, behind a recorder.
/// </summary>
public sealed class StubTools : IDisposable
{
    private readonly Dictionary<string, List<(string Glob, string Output, int ExitCode)>> _answers = new();

    public StubTools(params string[] tools)
    {
        Bin = Directory.CreateTempSubdirectory("awe-teardown-stubs-").FullName;
        foreach (var tool in tools) Install(tool);
    }

    public string Bin { get; }
    public string Log => Path.Combine(Bin, "calls.log");

    /// <summary>Every recorded call, "tool arg arg ...", in order.</summary>
    public List<string> Calls => File.Exists(Log) ? File.ReadAllLines(Log).Where(l => !l.StartsWith("  stdin: ")).ToList() : [];

    public string Stdin => File.Exists(Log) ? string.Join("\n", File.ReadAllLines(Log).Where(l => l.StartsWith("  stdin: "))) : "";

    public StubTools Answer(string tool, string glob, string output, int exitCode = 0)
    {
        if (!_answers.TryGetValue(tool, out var list)) _answers[tool] = list = [];
        list.Add((glob, output, exitCode));
        Install(tool);
        return this;
    }

    private void Install(string tool)
    {
        var path = Path.Combine(Bin, tool);
        var cases = string.Join("\n", (_answers.GetValueOrDefault(tool) ?? []).Select(a =>
            $"    {Glob(a.Glob)}) printf '%s' {Literal(a.Output)}; exit {a.ExitCode} ;;"));
        var realJq = Repo.Which("jq");
        var body = tool == "jq" && realJq is not null
            ? $"exec {realJq} \"$@\""
            : $"case \"$*\" in\n{cases}\n    *) exit 0 ;;\nesac";
        File.WriteAllText(path, $$"""
            #!/bin/bash
            echo "{{tool}} $*" >> "{{Log}}"
            if [[ "{{tool}}" == kubectl && " $* " == *" exec "* ]]; then
                while IFS= read -r line; do echo "  stdin: $line" >> "{{Log}}"; done
            fi
            {{body}}

            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>A case pattern: the glob's * stay wildcards, everything else is matched literally.</summary>
    private static string Glob(string glob) => string.Join("*", glob.Split('*').Select(Literal));

    private static string Literal(string text) => "'" + text.Replace("'", "'\\''") + "'";

    public void Dispose() => Directory.Delete(Bin, recursive: true);
}
