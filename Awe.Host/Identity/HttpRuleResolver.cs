using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Activities.Policies;
using Awe.Activities.Resolution;
using Awe.Host.Configuration;
using Awe.Host.Webhooks;
using Microsoft.Extensions.Options;

namespace Awe.Host.Identity;

/// <summary>
/// Resolves an <c>http</c> rule: POSTs <c>{"context": {...}, "request": {id, policy_key, artifact_type,
/// artifact_id, requester}}</c> to the rule's URL and expects <c>{"user_ids": ["...", ...]}</c>. The call has
/// the timeout awe.resolver.http_timeout_seconds, follows no redirects and obeys the outbound address policy of
/// webhooks (awe.outbound.allow_private_networks). A refused destination, a non-2xx answer, a timeout or an answer
/// of any other shape is an <see cref="ApproverResolutionException"/> that says which.
/// </summary>
public sealed class HttpRuleResolver(IHttpClientFactory http, IOptionsMonitor<AweOptions> options)
{
    public const string HttpClientName = "awe-http-resolver";

    /// <summary>Largest answer read; a list of user ids is far smaller.</summary>
    private const int MaxAnswerBytes = 1024 * 1024;

    public async Task<IReadOnlyList<string>> ResolveAsync(JsonObject ruleValue, ResolutionInput input, CancellationToken ct)
    {
        var url = ruleValue["url"] is JsonValue v && v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s)
            ? s.Trim()
            : throw new ApproverResolutionException("http rule has no 'url' in its rule_value");
        var settings = options.CurrentValue;
        if (OutboundAddressPolicy.CheckUrl(url, settings.Outbound.AllowPrivateNetworks) is { } refusal)
            throw new ApproverResolutionException($"http rule {url} {refusal}");

        var request = input.Request;
        var body = new JsonObject
        {
            ["context"] = input.Context.DeepClone(),
            ["request"] = new JsonObject
            {
                ["id"] = request.Id,
                ["policy_key"] = request.PolicyKey,
                ["artifact_type"] = request.ArtifactType,
                ["artifact_id"] = request.ArtifactId,
                ["requester"] = request.Requester,
            },
        };
        using var message = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var seconds = settings.Resolver.HttpTimeoutSeconds;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        int status;
        string text;
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            text = await ReadLimitedAsync(response.Content, timeout.Token)
                   ?? throw new ApproverResolutionException($"http rule {url} answered with more than {MaxAnswerBytes} bytes");
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new ApproverResolutionException($"http rule {url} did not answer within {seconds} s (awe.resolver.http_timeout_seconds)", e);
        }
        catch (HttpRequestException e)
        {
            throw new ApproverResolutionException($"http rule {url} could not be called: {e.Message}", e);
        }

        if (status is < 200 or >= 300)
            throw new ApproverResolutionException($"http rule {url} answered HTTP {status}{(status is >= 300 and < 400 ? " (redirects are not followed)" : "")}: {Excerpt(text)}");
        return Parse(url, text);
    }

    /// <summary>Reads <c>{"user_ids": [strings]}</c>; anything else is refused with the reason.</summary>
    private static IReadOnlyList<string> Parse(string url, string text)
    {
        JsonNode? answer;
        try
        {
            var (node, problems) = Api.JsonBody.Decode(Encoding.UTF8.GetBytes(text), maxDepth: 64);
            if (problems.Count > 0)
                throw new ApproverResolutionException($"http rule {url} answered unusable text: {problems[0]}");
            answer = node;
        }
        catch (JsonException e)
        {
            throw new ApproverResolutionException($"http rule {url} answered with malformed JSON ({e.Message}); expected {{\"user_ids\": [...]}}", e);
        }
        if (answer is not JsonObject o)
            throw new ApproverResolutionException($"http rule {url} answered {JsonFieldReader.Describe(answer)}; expected an object {{\"user_ids\": [...]}}");
        if (o["user_ids"] is not JsonArray ids)
            throw new ApproverResolutionException(o.ContainsKey("user_ids")
                ? $"http rule {url} answered user_ids as {JsonFieldReader.Describe(o["user_ids"])}; expected a list of strings"
                : $"http rule {url} answered without user_ids; expected {{\"user_ids\": [...]}}");
        var result = new List<string>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] is not JsonValue item || !item.TryGetValue(out string? id))
                throw new ApproverResolutionException($"http rule {url} answered user_ids[{i}] as {JsonFieldReader.Describe(ids[i])}; expected a string");
            if (!string.IsNullOrWhiteSpace(id)) result.Add(id.Trim());
        }
        return result;
    }

    private static async Task<string?> ReadLimitedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxAnswerBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string Excerpt(string body)
    {
        var text = body.ReplaceLineEndings(" ").Trim();
        return text.Length == 0 ? "(empty body)" : text.Length <= 300 ? text : text[..300] + "…";
    }
}
