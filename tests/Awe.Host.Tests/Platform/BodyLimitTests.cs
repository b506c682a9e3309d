using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Platform;

/// <summary>A host whose awe.server.max_body_bytes is 2048.</summary>
public sealed class SmallBodyLimitFixture : PostgresAppFixture
{
    public const int Limit = 2048;
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["awe:server:max_body_bytes"] = $"{Limit}" };
}

/// <summary>Bodies above awe.server.max_body_bytes are refused with 413 AWE-014, whether or not they announce their length.</summary>
public sealed class BodyLimitTests(SmallBodyLimitFixture fx) : IClassFixture<SmallBodyLimitFixture>
{
    /// <summary>A valid policy whose JSON is about <paramref name="bytes"/> long (approvers added until it is).</summary>
    private static string PolicyOfSize(string key, int bytes)
    {
        string json;
        var count = 0;
        do
        {
            count++;
            json = Policy(key, Stage(1, "any-n", 1, Enumerable.Range(0, count).Select(i => User($"user-{i:D4}")).ToArray())).ToJsonString();
        } while (json.Length < bytes);
        return json;
    }

    private async Task<int> PolicyCountAsync() => (await fx.Admin.GetJson("/v1/awe/policies")).Expect(HttpStatusCode.OK).Json.AsArray().Count;

    [Fact]
    public async Task A_body_over_the_limit_is_413_AWE_014_and_nothing_is_written()
    {
        var body = PolicyOfSize("limit.big", SmallBodyLimitFixture.Limit + 200);
        Assert.InRange(Encoding.UTF8.GetByteCount(body), SmallBodyLimitFixture.Limit + 1, SmallBodyLimitFixture.Limit + 400);
        var before = await PolicyCountAsync();

        var message = EnvelopeAssert.ErrorMessage(await fx.Admin.PostJson("/v1/awe/policies", body), HttpStatusCode.RequestEntityTooLarge, "AWE-014");

        Assert.Contains("2048", message);
        Assert.Contains("max_body_bytes", message);
        Assert.Equal(before, await PolicyCountAsync());
        EnvelopeAssert.Error(await fx.Admin.GetJson("/v1/awe/policies/limit.big/versions"), HttpStatusCode.NotFound, "AWE-001");
    }

    [Fact]
    public async Task A_body_just_under_the_limit_is_accepted()
    {
        var body = PolicyOfSize("limit.fits", SmallBodyLimitFixture.Limit - 150);
        Assert.True(Encoding.UTF8.GetByteCount(body) <= SmallBodyLimitFixture.Limit);

        (await fx.Admin.PostJson("/v1/awe/policies", body)).Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_streamed_body_without_content_length_is_cut_off_at_the_limit_too()
    {
        var body = Encoding.UTF8.GetBytes(PolicyOfSize("limit.stream", SmallBodyLimitFixture.Limit * 3));
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/awe/policies") { Content = new StreamContent(new UnknownLengthStream(body)) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.TransferEncodingChunked = true;

        using var response = await fx.Admin.SendAsync(message);
        var raw = await response.Content.ReadAsStringAsync();

        EnvelopeAssert.Error(new Reply(response.StatusCode, JsonNode.Parse(raw), raw), HttpStatusCode.RequestEntityTooLarge, "AWE-014");
        EnvelopeAssert.Error(await fx.Admin.GetJson("/v1/awe/policies/limit.stream/versions"), HttpStatusCode.NotFound, "AWE-001");
    }

    [Fact]
    public async Task The_limit_applies_to_requests_and_delegations_as_well()
    {
        await CreateActiveAsync(fx.Admin, Policy("limit.req", Stage(1, "all", null, User("u-a"))));
        var context = new JsonObject { ["notes"] = new string('x', SmallBodyLimitFixture.Limit) };

        var reply = await fx.Admin.PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = "limit.req", ["artifact_type"] = "test.artifact", ["artifact_id"] = "big", ["context"] = context,
        });
        EnvelopeAssert.Error(reply, HttpStatusCode.RequestEntityTooLarge, "AWE-014");
        Assert.Empty((await fx.Admin.GetJson("/v1/awe/requests?artifact_id=big")).Expect(HttpStatusCode.OK).Json.AsArray());

        var delegation = await fx.Admin.PostJson("/v1/awe/delegations", new JsonObject
        {
            ["user_id"] = "u-a", ["delegate_to"] = "u-b", ["starts_at"] = "2030-01-01T00:00:00Z", ["ends_at"] = "2030-01-02T00:00:00Z",
            ["reason"] = new string('r', SmallBodyLimitFixture.Limit),
        });
        EnvelopeAssert.Error(delegation, HttpStatusCode.RequestEntityTooLarge, "AWE-014");
        Assert.Empty((await fx.Admin.GetJson("/v1/awe/delegations?user_id=u-a")).Expect(HttpStatusCode.OK).Json.AsArray());
    }

    /// <summary>A readable stream that will not tell its length, so the client must send it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
