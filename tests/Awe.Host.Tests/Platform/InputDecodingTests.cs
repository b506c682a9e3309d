using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Awe.Activities.Resolution;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using Microsoft.Extensions.DependencyInjection;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Platform;

/// <summary>
/// Caller input the JSON parser accepts but cannot read back (lone surrogates, bytes that are not UTF-8), nulls where
/// a value is required, oversized headers and our own faults: each has a defined answer in the error envelope.
/// </summary>
public sealed class InputDecodingTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    private static async Task<Reply> PostBytesAsync(HttpClient client, string url, byte[] body)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await client.SendAsync(message);
        var raw = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, raw.Length > 0 ? JsonNode.Parse(raw) : null, raw);
    }

    [Theory]
    [InlineData("""{"policy_key": "dec.a", "name": "\udc00", "artifact_type": "t", "stages": []}""", "name")]
    [InlineData("""{"policy_key": "dec.b", "name": "n", "artifact_type": "t", "description": "ok \ud800 then"}""", "description")]
    [InlineData("""{"policy_key": "dec.c", "name": "n", "artifact_type": "t", "stages": [{"name": "\udfff"}]}""", "stages[0].name")]
    [InlineData("""{"policy_key": "dec.d", "\udc00": 1, "name": "n", "artifact_type": "t"}""", null)]
    public async Task A_lone_surrogate_anywhere_in_a_body_is_422_with_its_path_not_a_500(string body, string? path)
    {
        // Before: System.Text.Json parses "\udc00" and throws on the first read of it, wherever that is: a 500.
        var errors = EnvelopeAssert.Error(await fx.Admin.PostJson("/v1/awe/policies", body), HttpStatusCode.UnprocessableEntity, "AWE-012");

        Assert.Contains("not valid Unicode", (string?)errors[0]!["message"]);
        if (path is not null) Assert.Equal(path, (string?)errors[0]!["path"]);
        foreach (var key in new[] { "dec.a", "dec.b", "dec.c", "dec.d" })
            EnvelopeAssert.Error(await fx.Admin.GetJson($"/v1/awe/policies/{key}/versions"), HttpStatusCode.NotFound, "AWE-001");
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_inside_a_string_are_refused_too()
    {
        await CreateActiveAsync(fx.Admin, Policy("dec.utf8", Stage(1, "all", null, User("u-a"))));
        var body = Encoding.UTF8.GetBytes("""{"policy_key": "dec.utf8", "artifact_type": "test.artifact", "artifact_id": "X", "context": {"n": "a"}}""");
        body[Array.IndexOf(body, (byte)'X')] = 0xFF;

        var errors = EnvelopeAssert.Error(await PostBytesAsync(fx.Admin, "/v1/awe/requests", body), HttpStatusCode.UnprocessableEntity, "AWE-012");

        Assert.Equal("artifact_id", (string?)errors[0]!["path"]);
        Assert.Empty((await fx.Admin.GetJson("/v1/awe/requests?policy_key=dec.utf8")).Expect(HttpStatusCode.OK).Json.AsArray());
    }

    [Fact]
    public async Task A_lone_surrogate_in_a_request_context_is_refused_and_nothing_is_created()
    {
        await CreateActiveAsync(fx.Admin, Policy("dec.ctx", Stage(1, "all", null, User("u-a"))));

        var reply = await fx.Admin.PostJson("/v1/awe/requests",
            """{"policy_key": "dec.ctx", "artifact_type": "test.artifact", "artifact_id": "a-1", "context": {"notes": ["ok", "\udc00"]}}""");

        var errors = EnvelopeAssert.Error(reply, HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal("context.notes[1]", (string?)errors[0]!["path"]);
        Assert.Empty((await fx.Admin.GetJson("/v1/awe/requests?policy_key=dec.ctx")).Expect(HttpStatusCode.OK).Json.AsArray());
    }

    [Theory]
    [InlineData("""{"sub": "\udc00", "realm_access": {"roles": ["AWE_ADMIN"]}}""")]
    [InlineData("""{"sub": "s-1", "preferred_username": "u-\ud800", "realm_access": {"roles": ["AWE_ADMIN"]}}""")]
    [InlineData("""{"sub": "s-1", "realm_access": {"roles": ["AWE_ADMIN", "\udc00"]}}""")]
    [InlineData("""{"sub": "s-1", "unused": "\udc00", "realm_access": {"roles": ["AWE_ADMIN"]}}""")]
    [InlineData("""{"sub": "s-\u0000", "realm_access": {"roles": ["AWE_ADMIN"]}}""")]
    public async Task A_dev_mode_token_whose_claims_are_not_valid_unicode_is_401_not_a_500(string claims)
    {
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes(claims)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var client = fx.App.ClientFor($"eyJhbGciOiJub25lIn0.{payload}.");

        var message = EnvelopeAssert.ErrorMessage(await client.PostJson("/v1/awe/policies", Policy("dec.tok", Stage(1, "all", null, User("u-a")))),
            HttpStatusCode.Unauthorized, "AWE-013");

        Assert.Contains("claim", message);
        EnvelopeAssert.Error(await fx.Admin.GetJson("/v1/awe/policies/dec.tok/versions"), HttpStatusCode.NotFound, "AWE-001");
    }

    [Theory]
    [InlineData("""{"action": null}""")]
    [InlineData("""{"action": null, "comment": "why"}""")]
    [InlineData("""{}""")]
    public async Task A_decision_without_an_action_is_422_naming_it_and_the_task_stays_open(string body)
    {
        var approver = Flow.Unique("dec-null");
        var key = await Flow.OneStageAsync(fx.Admin, "all", null, approver);
        var task = (await Flow.CreateAsync(fx.Admin, key)).TaskOf(approver);

        // Before: {"action": null} passed validation and failed in the runner, a 500.
        var errors = EnvelopeAssert.Error(await fx.As(approver).PostJson($"/v1/awe/tasks/{task.Str("id")}/decision", body),
            HttpStatusCode.UnprocessableEntity, "AWE-012");

        Assert.Equal("action", (string?)errors[0]!["path"]);
        Assert.Equal("open", (await fx.Admin.GetJson($"/v1/awe/tasks/{task.Str("id")}")).Expect(HttpStatusCode.OK).Json.Str("status"));
    }

    [Fact]
    public async Task Oversized_request_headers_are_431_in_the_envelope()
    {
        var client = fx.App.ClientFor(Tokens.Admin + new string('A', 60 * 1024));

        var message = EnvelopeAssert.ErrorMessage(await client.GetJson("/v1/awe/policies"), HttpStatusCode.RequestHeaderFieldsTooLarge, "AWE-014");

        Assert.Contains("max_header_bytes", message);
    }

    [Fact]
    public async Task Under_kestrel_an_oversized_token_or_a_header_that_is_not_ascii_is_answered_in_the_envelope()
    {
        // The test host has no Kestrel; a real process does, and Kestrel's own limit would answer a bare 431.
        await using var host = await HostProcess.StartAsync(fx.Database.ConnectionString);
        using var client = host.ClientFor(Tokens.Admin + new string('A', 60 * 1024));

        var reply = await client.GetJson("/v1/awe/policies");

        EnvelopeAssert.Error(reply, HttpStatusCode.RequestHeaderFieldsTooLarge, "AWE-014");
        using var normal = host.ClientFor(Tokens.Admin);
        (await normal.GetJson("/v1/awe/policies")).Expect(HttpStatusCode.OK);

        // Header bytes that are not ASCII: Kestrel refuses those itself (a bare 400) unless told how to read them.
        var raw = await RawAsync(host, "GET /v1/awe/policies HTTP/1.1\r\nHost: x\r\nX-Note: caf\u00e9\r\nAuthorization: Bearer "
                                       + Tokens.Admin + "\r\nConnection: close\r\n\r\n", latin1: false);
        Assert.StartsWith("HTTP/1.1 200", raw);
        raw = await RawAsync(host, "GET /v1/awe/policies HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\u00fe\r\nConnection: close\r\n\r\n", latin1: true);
        Assert.StartsWith("HTTP/1.1 401", raw);
        Assert.Contains("AWE-013", raw);
    }

    private static async Task<string> RawAsync(HostProcess host, string request, bool latin1)
    {
        var uri = new Uri(host.BaseUrl);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(latin1 ? Encoding.Latin1.GetBytes(request) : Encoding.UTF8.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private sealed class BrokenDelegationLookup : IDelegationLookup
    {
        public Task<IReadOnlyDictionary<string, string>> ActiveDelegatesAsync(IReadOnlyCollection<string> userIds, DateTime at, CancellationToken ct) =>
            throw new InvalidOperationException("simulated fault of ours");
    }

    [Fact]
    public async Task A_500_carries_the_trace_id_in_the_message_and_a_header()
    {
        await using var app = new AweApp(fx.Database.ConnectionString, services: s => s.AddScoped<IDelegationLookup, BrokenDelegationLookup>());
        var admin = app.ClientFor(Tokens.Admin);
        await CreateActiveAsync(admin, Policy("dec.fault", Stage(1, "all", null, User("u-a"))));
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

        var reply = await admin.PostJson("/v1/awe/requests", Flow.RequestBody("dec.fault"),
            new Dictionary<string, string> { ["traceparent"] = $"00-{traceId}-00f067aa0ba902b7-01" });
        using var raw = new HttpRequestMessage(HttpMethod.Post, "/v1/awe/requests") { Content = new StringContent(Flow.RequestBody("dec.fault").ToJsonString(), Encoding.UTF8, "application/json") };
        using var response = await admin.SendAsync(raw);

        var message = EnvelopeAssert.ErrorMessage(reply, HttpStatusCode.InternalServerError, "AWE-099");
        Assert.Contains(traceId, message);
        var header = Assert.Single(response.Headers.GetValues("X-Trace-Id"));
        Assert.Matches("^[0-9a-f]{32}$", header);
        Assert.Contains(header, await response.Content.ReadAsStringAsync());
    }
}
