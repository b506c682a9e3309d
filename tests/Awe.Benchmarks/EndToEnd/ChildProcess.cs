using System.Diagnostics;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>Runs a program to its end and returns what it printed.</summary>
public static class ChildProcess
{
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    /// <param name="asPostgres">PostgreSQL's server programs refuse to run as root: when we are root they run as user
    /// postgres (runuser), from / because that user may not enter the current directory.</param>
    public static async Task<Outcome> RunAsync(string file, IEnumerable<string> args, bool asPostgres = false, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? (asPostgres ? "/" : Environment.CurrentDirectory),
        };
        if (asPostgres && Environment.UserName == "root")
        {
            info.FileName = "runuser";
            foreach (var a in new[] { "-u", "postgres", "--", file }) info.ArgumentList.Add(a);
        }
        else info.FileName = file;
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Outcome(process.ExitCode, await stdout, await stderr);
    }

    public static async Task<string> RunCheckedAsync(string file, IEnumerable<string> args, bool asPostgres = false, string? workingDirectory = null)
    {
        var outcome = await RunAsync(file, args, asPostgres, workingDirectory);
        if (outcome.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited with {outcome.ExitCode}:\n{outcome.Stderr}\n{outcome.Stdout}".Trim());
        return outcome.Stdout;
    }
}
