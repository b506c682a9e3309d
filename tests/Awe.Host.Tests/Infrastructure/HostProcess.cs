using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>
/// The host as a separate operating-system process (dotnet Awe.Host.dll from the test's output folder), on a free
/// loopback port and a given database, so a test can kill it outright (SIGKILL) the way a crash or an evicted pod
/// dies: no shutdown code runs. Settings are passed as environment variables (awe:webhook:max_attempts →
/// AWE__WEBHOOK__MAX_ATTEMPTS).
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    private HostProcess(Process process, string baseUrl, string managementUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
        ManagementUrl = managementUrl;
    }

    public string BaseUrl { get; }

    /// <summary>The management port (GET /metrics).</summary>
    public string ManagementUrl { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>What the process printed so far (for failure messages).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <param name="readyPath">The URL that must answer 200 before the host counts as started: readiness by default;
    /// /v1/awe/health/live for a host that is expected to wait for its database.</param>
    public static async Task<HostProcess> StartAsync(string connectionString, IReadOnlyDictionary<string, string?>? settings = null,
        int startSeconds = 60, string readyPath = "/v1/awe/health/ready")
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Awe.Host.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} not found; the test project must reference Awe.Host");
        var port = FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        // The same dotnet that runs the tests (the test host runs under it), else the one on PATH.
        var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            ArgumentList = { dll },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_URLS"] = baseUrl;
        info.Environment["ConnectionStrings__Awe"] = connectionString;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var managementPort = FreePort();
        info.Environment["AWE__SERVER__MANAGEMENT_PORT"] = managementPort.ToString();
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            info.Environment[key.Replace(":", "__").ToUpperInvariant()] = value;

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var host = new HostProcess(process, baseUrl, $"http://127.0.0.1:{managementPort}");
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(startSeconds);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"host process exited with code {process.ExitCode} during start-up:\n{host.Output}");
            try
            {
                using var response = await probe.GetAsync(readyPath);
                if (response.StatusCode == HttpStatusCode.OK) return host;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline)
            {
                await host.DisposeAsync();
                throw new TimeoutException($"host process did not answer {readyPath} within {startSeconds} s:\n{host.Output}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>An HTTP client for this process whose requests carry a dev-mode bearer token.</summary>
    public HttpClient ClientFor(string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>SIGKILL, as kill -9: the process gets no chance to finish or release anything. Returns once it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    /// <summary>
    /// SIGTERM, as Kubernetes sends before removing a pod: the host runs its shutdown (stops accepting, stops its
    /// workers, releases their claims) and exits. Returns the exit code once the process is gone.
    /// </summary>
    public async Task<int> TerminateAsync(int seconds = 30)
    {
        if (!_process.HasExited && Kill(_process.Id, SigTerm) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await KillAsync();
        _process.Dispose();
    }
}
