using System.Diagnostics;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Operations;

/// <summary>scripts/smoke-test.sh, the deployment guide's documented check, run as written against a real host.</summary>
public sealed class SmokeScriptTests : IAsyncLifetime
{
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Awe.sln"))) return dir.FullName;
        throw new InvalidOperationException("Awe.sln not found");
    }

    [Fact]
    public async Task The_documented_smoke_test_passes_against_a_dev_mode_host()
    {
        await using var host = await HostProcess.StartAsync(_db.ConnectionString);
        var info = new ProcessStartInfo("bash")
        {
            ArgumentList = { Path.Combine(RepoRoot(), "scripts", "smoke-test.sh"), host.BaseUrl },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var script = Process.Start(info)!;
        var output = await script.StandardOutput.ReadToEndAsync() + await script.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await script.WaitForExitAsync(timeout.Token);

        Assert.True(script.ExitCode == 0, output + host.Output);
        Assert.Contains("status: approved", output);
        Assert.EndsWith("smoke test passed", output.Trim());
    }
}
