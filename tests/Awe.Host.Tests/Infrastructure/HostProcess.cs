using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>
/// A second AWE host running as its own OS process (<c>dotnet Awe.Host.dll</c> from the test output folder), so
/// tests can prove that two replicas on one database behave as one. Disposing kills the process tree.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HostProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>What the process wrote to stdout and stderr so far (for failure messages).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Starts the host on a free loopback port and returns once /v1/awe/health answers 200.</summary>
    public static async Task<HostProcess> StartAsync(string connectionString, TimeSpan? startupTimeout = null)
    {
        var folder = AppContext.BaseDirectory;
        var dll = Path.Combine(folder, "Awe.Host.dll");
        foreach (var needed in new[] { dll, Path.Combine(folder, "Awe.Host.runtimeconfig.json") })
            if (!File.Exists(needed))
                throw new InvalidOperationException($"{needed} is missing; the test project must reference Awe.Host so its build output is copied here");

        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo(DotnetExecutable())
        {
            WorkingDirectory = folder,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        start.Environment["ConnectionStrings__Awe"] = connectionString;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = baseAddress.ToString().TrimEnd('/');
        start.Environment["CONFIG_PATH"] = FindRepoFile(Path.Combine("config", "default.yaml"));
        start.Environment["Logging__LogLevel__Default"] = "Warning";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var host = new HostProcess(process, baseAddress);
        // Drain both pipes continuously: a child blocked on a full pipe would look like a hung host.
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        if (!process.Start()) throw new InvalidOperationException($"could not start {start.FileName} {dll}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            // Generous: a loaded CI machine can take long to JIT and migrate; a healthy host returns at once.
            await host.WaitUntilHealthyAsync(startupTimeout ?? TimeSpan.FromSeconds(120));
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    /// <summary>An HTTP client for this process whose requests carry a dev-mode bearer token.</summary>
    public HttpClient ClientFor(string token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"the host process exited with code {_process.ExitCode} before it was healthy:\n{Output}");
            try
            {
                using var response = await probe.GetAsync("/v1/awe/health");
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = $"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message; // not listening yet
            }
            await Task.Delay(100); // polling interval, bounded by the deadline
        }
        throw new TimeoutException($"the host process did not answer /v1/awe/health within {timeout.TotalSeconds:0} s (last: {last}):\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>The dotnet host that runs these tests, so the child uses the same runtime.</summary>
    private static string DotnetExecutable()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return current;
        var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrWhiteSpace(fromCli) && File.Exists(fromCli) ? fromCli : "dotnet";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Walks up from the test output folder to the repository file at <paramref name="relative"/>.</summary>
    public static string FindRepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{relative} was not found above {AppContext.BaseDirectory}");
    }
}
