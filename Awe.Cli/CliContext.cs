using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Client;

namespace Awe.Cli;

/// <summary>The options every command shares, and the writers it prints to (injected, so tests run commands in-process).</summary>
internal sealed class CliContext(TextWriter output, TextWriter error, HttpMessageHandler? transport)
{
    public static readonly Option<string> Server = new("--server")
    {
        Description = "AWE's base address (env AWE_SERVER)", Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AWE_SERVER") ?? "http://localhost:8000",
    };
    public static readonly Option<string?> Token = new("--token")
    {
        Description = "bearer token (env AWE_TOKEN)", Recursive = true, DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AWE_TOKEN"),
    };
    public static readonly Option<string?> TokenUrl = new("--token-url")
    {
        Description = "OIDC token endpoint for client credentials, e.g. https://kc/realms/openg2p/protocol/openid-connect/token (env AWE_TOKEN_URL)",
        Recursive = true, DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AWE_TOKEN_URL"),
    };
    public static readonly Option<string?> ClientId = new("--client-id")
    {
        Description = "OIDC client id (env AWE_CLIENT_ID)", Recursive = true, DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AWE_CLIENT_ID"),
    };
    public static readonly Option<string?> ClientSecret = new("--client-secret")
    {
        Description = "OIDC client secret (env AWE_CLIENT_SECRET; prefer the variable, arguments show up in process lists)", Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AWE_CLIENT_SECRET"),
    };
    public static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "table or json", Recursive = true, DefaultValueFactory = _ => "table",
    };

    static CliContext() => Output.AcceptOnlyFromAmong("table", "json");

    public TextWriter Out { get; } = output;
    public TextWriter Err { get; } = error;

    public bool Json(ParseResult p) => p.GetValue(Output) == "json";

    public IAweApi Api(ParseResult p)
    {
        var options = new AweClientOptions { BaseAddress = new Uri(p.GetValue(Server)!), Token = p.GetValue(Token) };
        if (p.GetValue(TokenUrl) is { Length: > 0 } url)
            options.ClientCredentials = new ClientCredentials(new Uri(url),
                p.GetValue(ClientId) ?? throw new UsageException("--client-id is required with --token-url"),
                p.GetValue(ClientSecret) ?? throw new UsageException("--client-secret (or AWE_CLIENT_SECRET) is required with --token-url"));
        return AweClient.Create(options, transport);
    }

    public static readonly JsonSerializerOptions JsonOut = new(AweClient.Json) { WriteIndented = true };

    public void WriteJson(object? value) => Out.WriteLine(value is JsonNode node ? node.ToJsonString(JsonOut) : JsonSerializer.Serialize(value, JsonOut));

    /// <summary>Columns aligned to their widest cell.</summary>
    public void WriteTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = rows.Select(r => r.Select(c => c ?? "").ToList()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToList();
        string Line(IReadOnlyList<string> cells) => string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd();
        Out.WriteLine(Line(headers.Select(h => h.ToUpperInvariant()).ToList()));
        foreach (var r in all) Out.WriteLine(Line(r));
    }
}

internal sealed class UsageException(string message) : Exception(message);
