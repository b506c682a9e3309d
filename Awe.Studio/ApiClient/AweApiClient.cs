using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Awe.Studio.ApiClient;

/// <summary>Supplies the bearer token of whoever the client acts for; null sends no Authorization header.</summary>
public interface IAweTokenSource
{
    ValueTask<string?> GetAccessTokenAsync(CancellationToken ct);
}

/// <summary>
/// A typed client of AWE's public REST API (<c>/v1/awe</c>), the only way Studio reaches AWE. It knows nothing of
/// Studio (no UI, no sign-in): the HttpClient's BaseAddress is the API's origin and the token comes from an
/// <see cref="IAweTokenSource"/>, so the same class can serve any .NET caller.
/// </summary>
public sealed partial class AweApiClient(HttpClient http, IAweTokenSource tokens)
{
    public const string Prefix = "v1/awe/";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    // Policies

    public Task<List<PolicyOut>> ListPoliciesAsync(CancellationToken ct = default) => GetAsync<List<PolicyOut>>("policies", ct);

    public Task<List<PolicyVersionOut>> ListVersionsAsync(string key, CancellationToken ct = default) =>
        GetAsync<List<PolicyVersionOut>>($"policies/{Esc(key)}/versions", ct);

    public Task<PolicyOut> GetPolicyAsync(string key, int version, CancellationToken ct = default) =>
        GetAsync<PolicyOut>($"policies/{Esc(key)}/versions/{version}", ct);

    public Task<PolicyOut> CreatePolicyAsync(JsonObject policy, CancellationToken ct = default) =>
        SendAsync<PolicyOut>(HttpMethod.Post, "policies", policy, ct);

    public Task<PolicyOut> AddVersionAsync(string key, JsonObject policy, CancellationToken ct = default) =>
        SendAsync<PolicyOut>(HttpMethod.Put, $"policies/{Esc(key)}", policy, ct);

    public Task<PolicyOut> ActivateAsync(string key, int version, CancellationToken ct = default) =>
        SendAsync<PolicyOut>(HttpMethod.Post, $"policies/{Esc(key)}/versions/{version}/activate", null, ct);

    public Task<PolicyOut> DeactivateAsync(string key, int version, CancellationToken ct = default) =>
        SendAsync<PolicyOut>(HttpMethod.Post, $"policies/{Esc(key)}/versions/{version}/deactivate", null, ct);

    /// <summary>Who would get tasks for this context, stage by stage, after segregation of duties and delegations; writes nothing.</summary>
    public Task<SimulateOut> SimulateAsync(string key, int version, JsonObject context, string? requester, CancellationToken ct = default) =>
        SendAsync<SimulateOut>(HttpMethod.Post, $"policies/{Esc(key)}/versions/{version}/simulate",
            new JsonObject { ["context"] = context, ["requester"] = string.IsNullOrWhiteSpace(requester) ? null : requester.Trim() }, ct);

    public Task<JsonObject> GetPolicyWorkflowAsync(string key, int version, CancellationToken ct = default) =>
        GetAsync<JsonObject>($"policies/{Esc(key)}/versions/{version}/workflow", ct);

    // Requests

    public Task<List<RequestOut>> ListRequestsAsync(RequestFilter filter, CancellationToken ct = default) =>
        GetAsync<List<RequestOut>>("requests" + Query(
            ("status", filter.Status), ("policy_key", filter.PolicyKey), ("artifact_type", filter.ArtifactType),
            ("artifact_id", filter.ArtifactId), ("source_service", filter.SourceService),
            ("limit", filter.Limit.ToString()), ("offset", filter.Offset.ToString())), ct);

    public Task<RequestOut> GetRequestAsync(string id, CancellationToken ct = default) => GetAsync<RequestOut>($"requests/{Esc(id)}", ct);

    public Task<List<EventOut>> GetEventsAsync(string id, CancellationToken ct = default) =>
        GetAsync<List<EventOut>>($"requests/{Esc(id)}/events", ct);

    public Task<InstanceOut> GetInstanceAsync(string id, CancellationToken ct = default) =>
        GetAsync<InstanceOut>($"requests/{Esc(id)}/workflow", ct);

    public Task<CreateRequestOut> CreateRequestAsync(JsonObject request, CancellationToken ct = default) =>
        SendAsync<CreateRequestOut>(HttpMethod.Post, "requests", request, ct);

    public Task<RequestOut> CancelRequestAsync(string id, string? reason, CancellationToken ct = default) =>
        SendAsync<RequestOut>(HttpMethod.Post, $"requests/{Esc(id)}/cancel", new JsonObject { ["reason"] = reason }, ct);

    // Tasks

    public Task<TaskPage> ListTasksAsync(TaskFilter filter, CancellationToken ct = default) =>
        GetAsync<TaskPage>("tasks" + Query(
            ("assignee", filter.Assignee), ("status", filter.Status), ("request_id", filter.RequestId),
            ("artifact_type", filter.ArtifactType), ("policy_key", filter.PolicyKey), ("search_text", filter.SearchText),
            ("page", filter.Page.ToString()), ("page_size", filter.PageSize.ToString())), ct);

    public Task<TaskOut> GetTaskAsync(string id, CancellationToken ct = default) => GetAsync<TaskOut>($"tasks/{Esc(id)}", ct);

    public Task<TaskOut> ClaimTaskAsync(string id, CancellationToken ct = default) =>
        SendAsync<TaskOut>(HttpMethod.Post, $"tasks/{Esc(id)}/claim", null, ct);

    public Task<DecisionOut> DecideAsync(string id, string action, string? comment, CancellationToken ct = default) =>
        SendAsync<DecisionOut>(HttpMethod.Post, $"tasks/{Esc(id)}/decision",
            new JsonObject { ["action"] = action, ["comment"] = string.IsNullOrWhiteSpace(comment) ? null : comment }, ct);

    public Task<TaskOut> ReassignTaskAsync(string id, string newAssignee, string? reason, CancellationToken ct = default) =>
        SendAsync<TaskOut>(HttpMethod.Post, $"tasks/{Esc(id)}/reassign", new JsonObject { ["new_assignee"] = newAssignee, ["reason"] = reason }, ct);

    // Webhook deliveries

    public Task<List<DeliveryOut>> ListDeliveriesAsync(DeliveryFilter filter, CancellationToken ct = default) =>
        GetAsync<List<DeliveryOut>>("admin/deliveries" + Query(
            ("status", filter.Status), ("request_id", filter.RequestId), ("event_type", filter.EventType),
            ("limit", filter.Limit.ToString()), ("offset", filter.Offset.ToString())), ct);

    public Task<DeliveryOut> RetryDeliveryAsync(string id, CancellationToken ct = default) =>
        SendAsync<DeliveryOut>(HttpMethod.Post, $"admin/deliveries/{Esc(id)}/retry", null, ct);

    /// <summary>Every exhausted delivery, or those of one request when <paramref name="requestId"/> is given, goes again.</summary>
    public Task<BulkRetryOut> RetryExhaustedDeliveriesAsync(string? requestId = null, CancellationToken ct = default) =>
        SendAsync<BulkRetryOut>(HttpMethod.Post, "admin/deliveries/retry",
            string.IsNullOrWhiteSpace(requestId) ? new JsonObject() : new JsonObject { ["request_id"] = requestId }, ct);

    // Plumbing

    private Task<T> GetAsync<T>(string path, CancellationToken ct) => SendAsync<T>(HttpMethod.Get, path, null, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, Prefix + path);
        if (await tokens.GetAccessTokenAsync(ct) is { Length: > 0 } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new AweApiException(null, [new ApiError("unreachable", $"the AWE API at {http.BaseAddress} could not be reached: {e.Message}", null)], e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw await ErrorOf(response, ct);
            // A 204 (a delete, say) has nothing to read; its callers ask for JsonNode? and ignore it.
            if (response.StatusCode == HttpStatusCode.NoContent) return default!;
            return await response.Content.ReadFromJsonAsync<T>(Json, ct)
                   ?? throw new AweApiException(response.StatusCode, [new ApiError("empty", "the API answered with an empty body", null)]);
        }
    }

    private static async Task<AweApiException> ErrorOf(HttpResponseMessage response, CancellationToken ct)
    {
        var errors = new List<ApiError>();
        try
        {
            var envelope = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
            if (envelope?["errors"] is JsonArray list)
                foreach (var e in list.OfType<JsonObject>())
                    errors.Add(new ApiError((string?)e["errorCode"] ?? "?", (string?)e["message"] ?? "", (string?)e["path"]));
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            // Not an AWE envelope (a proxy's error page, say): the status alone has to do.
        }
        if (errors.Count == 0)
            errors.Add(new ApiError($"HTTP {(int)response.StatusCode}", response.ReasonPhrase ?? "the API refused the call", null));
        return new AweApiException(response.StatusCode, errors);
    }

    private static string Esc(string segment) => Uri.EscapeDataString(segment);

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrWhiteSpace(p.Value))
            .Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join("&", present);
    }
}
