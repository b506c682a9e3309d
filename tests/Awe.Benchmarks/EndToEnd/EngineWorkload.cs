using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>A request the engine created, with its tasks in the order of <see cref="EngineWorkload.Approvers"/>.</summary>
public sealed record CreatedRequest(string Id, IReadOnlyList<string> TaskIds);

/// <summary>
/// The operations measured over HTTP: creating a request of a one-stage policy with three approvers (mode all), and
/// deciding its tasks one after another (two decisions that leave the stage open, the third approves the request).
/// </summary>
public static class EngineWorkload
{
    public const string PolicyKey = "bench.e2e";
    public const string ArtifactType = "bench.doc";
    public static readonly string[] Approvers = ["u-bench-1", "u-bench-2", "u-bench-3"];
    public static readonly string AdminToken = HostUnderTest.Token("bench-admin", "AWE_ADMIN");
    /// <summary>The caller service that creates the requests (no role needed to create).</summary>
    public static readonly string CallerToken = HostUnderTest.Token("svc-bench");
    private static readonly string[] ApproverTokens = Approvers.Select(a => HostUnderTest.Token(a)).ToArray();
    private static long _artifacts;

    public static async Task CreatePolicyAsync(HostUnderTest host)
    {
        var policy = new JsonObject
        {
            ["policy_key"] = PolicyKey, ["name"] = "End-to-end benchmark", ["artifact_type"] = ArtifactType,
            ["stages"] = new JsonArray(new JsonObject
            {
                ["name"] = "Review", ["stage_order"] = 1, ["mode"] = "all",
                ["rules"] = new JsonArray(Approvers.Select(a => (JsonNode)new JsonObject
                {
                    ["rule_type"] = "user", ["rule_value"] = new JsonObject { ["user_id"] = a },
                }).ToArray()),
            }),
        };
        await Expect(await host.Send(HttpMethod.Post, "/v1/awe/policies", AdminToken, policy), HttpStatusCode.Created, HttpStatusCode.OK);
        await Expect(await host.Send(HttpMethod.Post, $"/v1/awe/policies/{PolicyKey}/versions/1/activate", AdminToken), HttpStatusCode.OK);
    }

    public static async Task<CreatedRequest> CreateAsync(HostUnderTest host, string? callbackUrl = null, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["policy_key"] = PolicyKey, ["artifact_type"] = ArtifactType, ["artifact_id"] = $"doc-{Interlocked.Increment(ref _artifacts)}",
            ["context"] = new JsonObject { ["amount"] = 1250, ["district"] = "d7", ["title"] = "Benchmark document" },
        };
        if (callbackUrl is not null) body["callback_url"] = callbackUrl;
        using var response = await host.Send(HttpMethod.Post, "/v1/awe/requests", CallerToken, body, ct);
        await Expect(response, HttpStatusCode.Created, HttpStatusCode.OK);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
        var tasks = json.RootElement.GetProperty("tasks").EnumerateArray()
            .ToDictionary(t => t.GetProperty("assignee").GetString()!, t => t.GetProperty("id").GetString()!);
        return new CreatedRequest(json.RootElement.GetProperty("request_id").GetString()!, Approvers.Select(a => tasks[a]).ToList());
    }

    /// <summary>The <paramref name="index"/>-th approver approves their task.</summary>
    public static async Task DecideAsync(HostUnderTest host, CreatedRequest request, int index, CancellationToken ct = default)
    {
        using var response = await host.Send(HttpMethod.Post, $"/v1/awe/tasks/{request.TaskIds[index]}/decision", ApproverTokens[index],
            new JsonObject { ["action"] = "approve" }, ct);
        await Expect(response, HttpStatusCode.Created, HttpStatusCode.OK);
    }

    /// <summary>Creates as the load generator's operation; each created request joins <paramref name="pool"/>.</summary>
    public static LoadGenerator.Operation CreateOperation(HostUnderTest host, ConcurrentQueue<CreatedRequest> pool) => async (_, ct) =>
    {
        pool.Enqueue(await CreateAsync(host, ct: ct));
        return true;
    };

    /// <summary>Decisions as the load generator's operation: each worker takes a request from the pool and decides its
    /// three tasks in turn (as pgbench's clients do), then takes the next; false once the pool is empty.</summary>
    public static LoadGenerator.Operation DecideOperation(HostUnderTest host, ConcurrentQueue<CreatedRequest> pool, int workers)
    {
        var current = new CreatedRequest?[workers];
        var next = new int[workers];
        return async (w, ct) =>
        {
            if (current[w] is null || next[w] == Approvers.Length)
            {
                if (!pool.TryDequeue(out var request)) return false;
                (current[w], next[w]) = (request, 0);
            }
            await DecideAsync(host, current[w]!, next[w], ct);
            next[w]++;
            return true;
        };
    }

    private static async Task Expect(HttpResponseMessage response, params HttpStatusCode[] expected)
    {
        if (!expected.Contains(response.StatusCode))
            throw new HttpRequestException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
