using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>
/// The reference's envelope <c>{id, version, responsetime, response, errors}</c>, checked field by field: every error
/// (and /health, /version, /config) must use it, so the shape is asserted in one place.
/// </summary>
public static partial class EnvelopeAssert
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex ResponseTimeFormat();

    [GeneratedRegex(@"^AWE-0\d\d$")]
    private static partial Regex ErrorCodeFormat();

    private static readonly string[] EnvelopeFields = ["id", "version", "responsetime", "response", "errors"];

    /// <summary>
    /// Asserts an error envelope with this status whose first error has this code; returns the errors, each
    /// checked to carry a code and a non-empty message.
    /// </summary>
    public static JsonArray Error(Reply reply, HttpStatusCode status, string code)
    {
        if (reply.Status != status)
            throw new Xunit.Sdk.XunitException($"expected HTTP {(int)status} {code} but got {(int)reply.Status}: {reply.Raw}");
        var envelope = Common(reply);
        Assert.True(envelope.TryGetPropertyValue("response", out var response), $"envelope has no 'response' field: {reply.Raw}");
        Assert.Null(response);
        var errors = Assert.IsType<JsonArray>(envelope["errors"]);
        Assert.NotEmpty(errors);
        foreach (var error in errors)
        {
            var e = Assert.IsType<JsonObject>(error);
            Assert.All(e.Select(p => p.Key), k => Assert.Contains(k, new[] { "errorCode", "message", "path" }));
            Assert.Matches(ErrorCodeFormat(), (string?)e["errorCode"]);
            Assert.False(string.IsNullOrWhiteSpace((string?)e["message"]), $"error without a message: {reply.Raw}");
        }
        Assert.Equal(code, (string?)errors[0]!["errorCode"]);
        return errors;
    }

    /// <summary>Error envelope; returns the first error's message.</summary>
    public static string ErrorMessage(Reply reply, HttpStatusCode status, string code) => (string)Error(reply, status, code)[0]!["message"]!;

    /// <summary>A successful envelope (status 200, errors []); returns its <c>response</c>.</summary>
    public static JsonNode Success(Reply reply)
    {
        reply.Expect(HttpStatusCode.OK);
        var envelope = Common(reply);
        Assert.Empty(Assert.IsType<JsonArray>(envelope["errors"]));
        return envelope["response"] ?? throw new Xunit.Sdk.XunitException($"successful envelope with a null response: {reply.Raw}");
    }

    private static JsonObject Common(Reply reply)
    {
        var envelope = reply.Body as JsonObject ?? throw new Xunit.Sdk.XunitException($"HTTP {(int)reply.Status} body is not a JSON object: '{reply.Raw}'");
        Assert.Equal(EnvelopeFields.Order(), envelope.Select(p => p.Key).Order());
        Assert.Equal("openg2p.awe", (string?)envelope["id"]);
        Assert.Equal("1.0", (string?)envelope["version"]);
        var time = (string?)envelope["responsetime"];
        Assert.Matches(ResponseTimeFormat(), time);
        var at = DateTime.ParseExact(time!, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        Assert.InRange(at, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
        return envelope;
    }
}
