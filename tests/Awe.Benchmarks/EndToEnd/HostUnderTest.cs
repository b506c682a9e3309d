using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>
/// The built Awe.Host (Awe.Host.dll beside this program, Release when the harness is) as a child process, as it is
/// deployed: its own port, the given database, settings as AWE__ environment variables. It samples the process's
/// resident memory (/proc/&lt;pid&gt;/status VmRSS) while it runs and counts the error-level lines it logs.
/// </summary>
public sealed class HostUnderTest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private readonly List<string> _errorLines = [];
    private long _peakRssKb;

    private HostUnderTest(Process process, string baseUrl)
    {
        _process = process;
        _pid = process.Id;
        BaseUrl = baseUrl;
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60),
        };
        _sampler = SampleRssAsync(_stop.Token);
    }

    public string BaseUrl { get; }
    public int ProcessId => _pid;

    /// <summary>One client for all load (connections pooled); tokens go on each request (<see cref="Send"/>).</summary>
    public HttpClient Http { get; }

    /// <summary>Highest VmRSS seen (sampled every 100 ms) and the kernel's own high-water mark, in MiB.</summary>
    public double PeakRssMb => Math.Max(Interlocked.Read(ref _peakRssKb), ReadStatusKb("VmHWM")) / 1024.0;

    /// <summary>Lines the host logged at error or critical level ("fail:" / "crit:" in the text format).</summary>
    public IReadOnlyList<string> ErrorLines { get { lock (_errorLines) return _errorLines.ToList(); } }

    public static async Task<HostUnderTest> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Awe.Host.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} not found (the benchmark project references Awe.Host)");
        var port = FreePort();
        var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            ArgumentList = { dll }, WorkingDirectory = AppContext.BaseDirectory,
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development"; // dev-mode tokens; nothing else differs
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["ConnectionStrings__Awe"] = connectionString;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["AWE__SERVER__MANAGEMENT_PORT"] = FreePort().ToString();
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var host = new HostUnderTest(process, $"http://127.0.0.1:{port}");
        process.OutputDataReceived += (_, e) => host.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => host.Collect(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"host exited with code {process.ExitCode} during start-up:\n{string.Join('\n', host.ErrorLines)}");
            try
            {
                using var response = await probe.GetAsync($"{host.BaseUrl}/v1/awe/health/ready");
                if (response.StatusCode == HttpStatusCode.OK) return host;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline)
            {
                await host.DisposeAsync();
                throw new TimeoutException("host did not become ready within 120 s");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>An API call with a dev-mode token (unsigned JWT) of <paramref name="user"/>.</summary>
    public Task<HttpResponseMessage> Send(HttpMethod method, string path, string token, JsonNode? body = null, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return Http.SendAsync(request, ct);
    }

    /// <summary>An unsigned token as dev mode accepts it; the assignee id is preferred_username.</summary>
    public static string Token(string user, params string[] roles)
    {
        var claims = new JsonObject
        {
            ["sub"] = $"sub-{user}", ["preferred_username"] = user,
            ["realm_access"] = new JsonObject { ["roles"] = new JsonArray(roles.Select(r => (JsonNode)r).ToArray()) },
        };
        return $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64(claims.ToJsonString())}.";
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private void Collect(string? line)
    {
        if (line is null) return;
        if (line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal)
            || line.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) || line.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal))
            lock (_errorLines) _errorLines.Add(line);
    }

    private async Task SampleRssAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var kb = ReadStatusKb("VmRSS");
            if (kb > Interlocked.Read(ref _peakRssKb)) Interlocked.Exchange(ref _peakRssKb, kb);
            try { await Task.Delay(100, ct); } catch (OperationCanceledException) { return; }
        }
    }

    private long ReadStatusKb(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_pid}/status"))
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]);
        }
        catch (IOException) { } // the process is gone
        return 0;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        var peak = PeakRssMb; // read while /proc still has the process
        Interlocked.Exchange(ref _peakRssKb, (long)(peak * 1024));
        await _stop.CancelAsync();
        await _sampler;
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Http.Dispose();
    }
}
