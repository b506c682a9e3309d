using System.Diagnostics;
using System.Net;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Operations;

/// <summary>What the container image relies on: `dotnet Awe.Host.dll healthcheck` (its HEALTHCHECK) and the build
/// arguments surfaced by /v1/awe/version.</summary>
public sealed class ImageContractTests : IAsyncLifetime
{
    private TestDatabase _db = null!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private static async Task<(int Code, string Output)> HealthCheckAsync(IDictionary<string, string> environment, params string[] args)
    {
        var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Awe.Host.dll"));
        info.ArgumentList.Add("healthcheck");
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, output);
    }

    [Fact]
    public async Task The_healthcheck_command_exits_0_while_the_host_is_live_and_1_when_nothing_answers()
    {
        await using var host = await HostProcess.StartAsync(_db.ConnectionString);
        var port = new Uri(host.BaseUrl).Port.ToString();

        var explicitUrl = await HealthCheckAsync(new Dictionary<string, string>(), $"{host.BaseUrl}/v1/awe/health/ready");
        Assert.True(explicitUrl.Code == 0, explicitUrl.Output);
        // Without a URL: liveness on the container's own port (ASPNETCORE_HTTP_PORTS, as the image sets it).
        var ownPort = await HealthCheckAsync(new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port });
        Assert.True(ownPort.Code == 0, ownPort.Output);
        Assert.Contains($"http://127.0.0.1:{port}/v1/awe/health/live: 200", ownPort.Output);

        await host.KillAsync();
        var down = await HealthCheckAsync(new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port });
        Assert.Equal(1, down.Code);
        var notFound = await HealthCheckAsync(new Dictionary<string, string>(), $"{host.BaseUrl}/nowhere");
        Assert.Equal(1, notFound.Code);
    }

    [Fact]
    public async Task Build_time_and_commit_from_the_image_are_reported_by_version()
    {
        await using var host = await HostProcess.StartAsync(_db.ConnectionString, new Dictionary<string, string?>
        {
            ["BUILD_TIME"] = "2026-11-29T12:00:00Z",
            ["GIT_COMMIT"] = "0123456789abcdef0123456789abcdef01234567",
        });

        using var client = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        var version = (await client.GetJson("/v1/awe/version")).Expect(HttpStatusCode.OK);
        Assert.Equal("2026-11-29T12:00:00Z", (string?)version.Json["response"]!["build_time"]);
        Assert.Equal("0123456789abcdef0123456789abcdef01234567", (string?)version.Json["response"]!["git_commit"]);
    }
}
