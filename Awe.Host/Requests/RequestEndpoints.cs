using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Policies;
using Awe.Activities.Runtime;
using Awe.Host.Api;
using Awe.Host.Audit;
using Awe.Host.Auth;
using Awe.Host.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Awe.Host.Requests;

public static class RequestEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/requests").WithTags("Requests");
        g.MapPost("", Create).RequireAccess(Access.AnyCaller).Accepts<JsonObject>("application/json").Produces<CreateRequestOut>(201)
            .WithSummary("Ask for an artifact to be approved under the active version of a policy (Idempotency-Key supported)");
        g.MapGet("", List).RequireAccess(Access.AnyCaller).WithSummary("Requests, newest first");
        g.MapGet("/{id}", Get).RequireAccess(Access.AnyCaller).WithSummary("One request");
        g.MapPost("/{id}/cancel", Cancel).RequireAccess(Access.AnyCaller)
            .WithSummary("Cancel an open request (AWE_ADMIN, or the service that created it)");
        g.MapGet("/{id}/events", Events).RequireAccess(Access.AnyCaller).WithSummary("The request's journal, oldest first");
        g.MapGet("/{id}/workflow", Workflow).RequireAccess(Access.AnyCaller)
            .WithSummary("The workflow instance: node states, bookmarks and the definition it runs");
    }

    private sealed record CreateInput(string PolicyKey, string ArtifactType, string ArtifactId, JsonObject Context,
        string? CallbackUrl, string? CallbackSecretId, string? Requester, DateTime? ExpiresAt, TimeSpan? ExpiresIn);

    /// <summary>What creation needs of the active policy row, with what it checks beside it, read in one statement.</summary>
    private sealed record ActivePolicyRow(string Id, string PolicyKey, int Version, string ArtifactType, bool DelegationsNearby,
        string? SecretOwner, string? SecretStatus);

    /// <summary>
    /// The active version of a policy key (not its stored definition, which <see cref="DefinitionCache"/> holds), whether
    /// any delegation is active around now (if none, the stage start needs no delegation lookup) and the named callback
    /// secret's owner and status: one round trip for everything creation reads. Compiled once per store (a compiled
    /// query keeps the SQL of the first store it ran on).
    /// </summary>
    private static Task<ActivePolicyRow?> ReadActivePolicy(AweDbContext db, string key, DateTime from, DateTime until, string? secretId,
        CancellationToken ct) => ActivePolicyQueries.GetOrAdd(db.GetType(), _ => CompileActivePolicy())(db, key, from, until, secretId, ct);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type,
        Func<AweDbContext, string, DateTime, DateTime, string?, CancellationToken, Task<ActivePolicyRow?>>> ActivePolicyQueries = new();

    private static Func<AweDbContext, string, DateTime, DateTime, string?, CancellationToken, Task<ActivePolicyRow?>> CompileActivePolicy() =>
        EF.CompileAsyncQuery((AweDbContext db, string key, DateTime from, DateTime until, string? secretId, CancellationToken ct) =>
            db.Policies.Where(p => p.PolicyKey == key && p.Status == PolicyStatus.Active)
                .Select(p => new ActivePolicyRow(p.Id, p.PolicyKey, p.Version, p.ArtifactType,
                    db.Delegations.Any(d => d.StartsAt < until && d.EndsAt > from),
                    db.CallbackSecrets.Where(s => s.Id == secretId).Select(s => s.CallerService).FirstOrDefault(),
                    db.CallbackSecrets.Where(s => s.Id == secretId).Select(s => s.Status).FirstOrDefault()))
                .FirstOrDefault());

    private static async Task<IResult> Create(HttpContext ctx, AweDbContext db, ApprovalRunner runner, InstanceStore store,
        DefinitionCache definitions, Delegations.DatabaseDelegationLookup delegations, TimeProvider clock,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, IOptions<Configuration.AweOptions> options, CancellationToken ct)
    {
        using var operation = Observability.EngineOperation.Start("create", EngineTelemetry.Spans.CreateRequest);
        var body = await JsonBody.ReadAsync(ctx.Request);
        var now = clock.GetUtcNow().UtcDateTime;
        var input = ReadCreate(body, options.Value, now);
        var caller = ctx.Caller();
        // Who asks decides who is excluded by forbid_self_approval, so naming someone else is a privilege.
        if (input.Requester is { } named && named != caller.AssigneeId && !caller.MayActForOthers)
            throw AweException.Forbidden(
                $"you ({caller.AssigneeId}) may only create requests for yourself: leave 'requester' out or set it to '{caller.AssigneeId}'. " +
                $"Only {Roles.Admin} and service accounts may name another requester");
        var key = IdempotencyKey(ctx);
        // Only a key's replay compares bodies: without one, hashing would be work for nothing.
        var hash = key is null ? null : Hash(body!);
        if (key is not null && await Replay(db, key, caller, hash!, ct) is { } replay) return replay;

        var (from, until) = (now - Delegations.DatabaseDelegationLookup.Margin, now + Delegations.DatabaseDelegationLookup.Margin);
        var policy = await ReadActivePolicy(db, input.PolicyKey, from, until, input.CallbackSecretId, ct)
                     ?? throw (await db.Policies.AnyAsync(p => p.PolicyKey == input.PolicyKey, ct)
                         ? AweException.NotFound(ErrorCodes.PolicyNotFound, $"policy '{input.PolicyKey}' has no active version; activate one first")
                         : AweException.NotFound(ErrorCodes.PolicyNotFound, $"policy '{input.PolicyKey}' does not exist"));
        if (!string.Equals(policy.ArtifactType, input.ArtifactType, StringComparison.Ordinal))
            throw AweException.Invalid($"'{input.ArtifactType}' does not match policy '{policy.PolicyKey}', which approves '{policy.ArtifactType}'", "artifact_type");
        if (input.CallbackSecretId is { } secretId)
        {
            // A caller may only have its webhooks signed with its own secrets: naming another service's secret
            // would let it make deliveries that the other service trusts.
            if (policy.SecretOwner is null)
                throw AweException.Invalid($"no callback secret '{secretId}' exists; create one with POST /v1/awe/admin/callback-secrets", "callback_secret_id");
            if (policy.SecretOwner != caller.Subject && !caller.IsAdmin)
                throw AweException.Invalid($"callback secret '{secretId}' belongs to another caller service; name one of yours ('{caller.Subject}') or leave it out", "callback_secret_id");
            // A revoked secret was withdrawn on purpose (leaked, retired): naming it is stale configuration that the
            // caller should hear about now, like an unknown id, not discover later in its deliveries.
            if (policy.SecretStatus == Webhooks.SecretStatus.Revoked)
                throw AweException.Invalid($"callback secret '{secretId}' is revoked; name the active secret of '{policy.SecretOwner}' or leave it out", "callback_secret_id");
        }
        if (!policy.DelegationsNearby) delegations.NoneActiveBetween(from, until);

        var definition = await definitions.GetAsync(db, policy.Id, ct);
        // The caller's own expiry wins over the policy's default lifetime. Whole milliseconds, as every deadline.
        var lifetime = input.ExpiresIn ?? (definition.RequestTtl is { } ttl ? Activities.Deadlines.IsoDuration.Parse(ttl) : null);
        var expiresAt = input.ExpiresAt ?? (lifetime is { } span ? now + span : null);
        var request = new ApprovalRequest
        {
            PolicyId = policy.Id, PolicyKey = policy.PolicyKey, PolicyVersion = policy.Version, ArtifactType = input.ArtifactType,
            ArtifactId = input.ArtifactId, SourceService = caller.Subject, Requester = input.Requester ?? caller.AssigneeId,
            Context = input.Context, CallbackUrl = input.CallbackUrl, CallbackSecretId = input.CallbackSecretId,
            ExpiresAt = expiresAt is { } at ? Activities.Deadlines.Deadline.Whole(at) : null,
            CreatedAt = now, UpdatedAt = now,
        };
        var instance = new ApprovalInstance(request, definition);
        operation.Span?.SetTag("awe.request_id", request.Id).SetTag("awe.policy_key", policy.PolicyKey);
        await runner.StartAsync(instance, caller.AssigneeId, ct);
        db.Requests.Add(request);
        store.AddCreated(instance);

        var output = CreateRequestOut.From(request);
        if (key is not null)
            db.IdempotencyKeys.Add(new IdempotencyRecord
            {
                Key = key, CallerService = caller.Subject, RequestHash = hash!, StatusCode = 201, CreatedAt = now,
                ResponsePayload = JsonSerializer.SerializeToNode(output, json.Value.SerializerOptions)!,
            });
        try
        {
            // Everything read so far was read without locks: the writes need no transaction of ours around them, and go
            // as one atomic batch. Not cancelled by a caller who hangs up: once sent, the outcome is the same either way.
            await store.SaveCreatedAsync(CancellationToken.None);
        }
        catch (DbUpdateException e) when (key is not null && DbErrors.IsUniqueViolation(e))
        {
            // Another call with the same key committed first: answer as that call did.
            db.ChangeTracker.Clear();
            return await Replay(db, key, caller, hash!, ct)
                   ?? throw new InvalidOperationException($"idempotency key {key} conflicted but no stored answer was found", e);
        }
        return Results.Json(output, json.Value.SerializerOptions, statusCode: 201);
    }

    private static async Task<IEnumerable<RequestOut>> List(AweDbContext db, string? artifact_type, string? artifact_id, string? status,
        string? policy_key, string? source_service, int? limit, int? offset, CancellationToken ct)
    {
        var take = Query.Limit(limit, 50, 100);
        if (offset is < 0) throw AweException.Invalid($"must be ≥ 0 (got {offset})", "offset");
        if (status is not null && !RequestStatus.All.Contains(status))
            throw AweException.Invalid($"must be one of {string.Join(", ", RequestStatus.All)} (got '{status}')", "status");
        var q = db.Requests.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(artifact_type)) q = q.Where(r => r.ArtifactType == artifact_type);
        if (!string.IsNullOrWhiteSpace(artifact_id)) q = q.Where(r => r.ArtifactId == artifact_id);
        if (!string.IsNullOrWhiteSpace(status)) q = q.Where(r => r.Status == status);
        if (!string.IsNullOrWhiteSpace(policy_key)) q = q.Where(r => r.PolicyKey == policy_key);
        if (!string.IsNullOrWhiteSpace(source_service)) q = q.Where(r => r.SourceService == source_service);
        var rows = await q.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Id).Skip(offset ?? 0).Take(take).ToListAsync(ct);
        return rows.Select(RequestOut.From);
    }

    private static async Task<RequestOut> Get(string id, AweDbContext db, CancellationToken ct)
    {
        var request = await db.Requests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct) ?? throw InstanceStore.RequestNotFound(id);
        var timers = await db.Timers.AsNoTracking().Where(t => t.RequestId == id && (t.State == TimerState.Pending || t.State == TimerState.Failed))
            .OrderBy(t => t.DueAt).ToListAsync(ct);
        return RequestOut.From(request) with { PendingTimers = timers.Select(TimerOut.From).ToList() };
    }

    private static async Task<RequestOut> Cancel(string id, HttpContext ctx, AweDbContext db, ApprovalRunner runner, InstanceStore store,
        AuditLog audit, CancellationToken ct)
    {
        var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);
        var problems = new List<ValidationProblem>();
        var reader = new JsonFieldReader(problems);
        reader.RejectUnknown(body, "", ["reason", "actor"]);
        var reason = reader.String(body, "", "reason", required: false, maxLength: 2000, minLength: 0);
        if (problems.Count > 0) throw AweException.Invalid(problems);

        var caller = ctx.Caller();
        var source = await db.Requests.Where(r => r.Id == id).Select(r => r.SourceService).FirstOrDefaultAsync(ct)
                     ?? throw InstanceStore.RequestNotFound(id);
        if (!caller.IsAdmin && caller.Subject != source)
            throw AweException.Forbidden($"only {Roles.Admin} or the service that created the request ('{source}') may cancel it");

        ct = CancellationToken.None; // a change runs to its end once begun (see TaskEndpoints.Decide)
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var instance = await store.LoadForUpdateAsync(id, ct);
        var before = instance.Request.Status;
        await runner.CancelAsync(instance, caller.AssigneeId, reason, ct);
        store.AddCreated(instance);
        audit.Record(caller, "request.cancel", "request", id, before: new { status = before }, after: new { status = instance.Request.Status },
            metadata: new { reason, artifact_id = instance.Request.ArtifactId }, summary: $"cancelled request {id}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return RequestOut.From(instance.Request);
    }

    private static async Task<IEnumerable<EventOut>> Events(string id, AweDbContext db, CancellationToken ct)
    {
        if (!await db.Requests.AnyAsync(r => r.Id == id, ct)) throw InstanceStore.RequestNotFound(id);
        var events = await db.Events.AsNoTracking().Where(e => e.RequestId == id).OrderBy(e => e.Seq).ToListAsync(ct);
        return events.Select(EventOut.From);
    }

    private static async Task<InstanceOut> Workflow(string id, AweDbContext db, DefinitionCache definitions, CancellationToken ct)
    {
        var request = await db.Requests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct) ?? throw InstanceStore.RequestNotFound(id);
        var definition = await definitions.GetAsync(db, request.PolicyId, ct);
        var state = InstanceState.FromJson(request.WorkflowState);
        return new InstanceOut(request.Id, state.DefinitionId.Length > 0 ? state.DefinitionId : definition.DefinitionId, request.PolicyId,
            request.PolicyKey, request.PolicyVersion, request.Status, request.CurrentStageOrder,
            definition.Nodes.Select(n => new NodeOut(n.Id, n.Type, n.Label, n.Stage?.StageOrder, state.NodeState(n.Id))).ToList(),
            state.Bookmarks, definition.ToJsonNode());
    }

    // ---- input ----

    private static CreateInput ReadCreate(JsonNode? body, Configuration.AweOptions options, DateTime now)
    {
        var problems = new List<ValidationProblem>();
        var r = new JsonFieldReader(problems);
        var o = r.Object(body, "");
        if (o is null) throw AweException.Invalid(problems);
        r.RejectUnknown(o, "", ["policy_key", "artifact_type", "artifact_id", "context", "callback_url", "callback_secret_id", "requester", "expires_at", "expires_in"],
            new Dictionary<string, string> { ["policy_version"] = "requests always run the active version of the policy" });
        var policyKey = r.String(o, "", "policy_key", required: true, maxLength: 128);
        var artifactType = r.String(o, "", "artifact_type", required: true, maxLength: 128);
        var artifactId = r.String(o, "", "artifact_id", required: true, maxLength: 255);
        var context = new JsonObject();
        if (o["context"] is { } c)
        {
            if (c is not JsonObject co) r.Fail("context", $"must be an object, not {JsonFieldReader.Describe(c)}");
            else if (ContextFits(r, co, options.Limits.MaxContextBytes)) context = (JsonObject)co.DeepClone();
        }
        var callbackUrl = r.String(o, "", "callback_url", required: false, maxLength: 2048);
        if (callbackUrl is not null && Webhooks.OutboundAddressPolicy.CheckUrl(callbackUrl, options.Outbound.AllowPrivateNetworks) is { } urlProblem)
            r.Fail("callback_url", $"{urlProblem} (got '{callbackUrl}')");
        var secretId = r.String(o, "", "callback_secret_id", required: false, maxLength: 36);
        var requester = r.UserId(o, "", "requester", required: false);
        var (expiresAt, expiresIn) = ReadExpiry(r, o, now);
        if (problems.Count > 0) throw AweException.Invalid(problems);
        return new CreateInput(policyKey!, artifactType!, artifactId!, context, callbackUrl, secretId, requester, expiresAt, expiresIn);
    }

    /// <summary>expires_at (RFC 3339 with an offset, in the future) or expires_in (ISO-8601 duration), not both.</summary>
    private static (DateTime? At, TimeSpan? In) ReadExpiry(JsonFieldReader r, JsonObject o, DateTime now)
    {
        var at = r.String(o, "", "expires_at", required: false, maxLength: 64);
        var inText = r.String(o, "", "expires_in", required: false, maxLength: 64);
        if (at is not null && inText is not null)
        {
            r.Fail("expires_at", "and expires_in both set the expiry; send one of them");
            return (null, null);
        }
        if (inText is not null)
        {
            if (Activities.Deadlines.IsoDuration.TryParse(inText, out var span, out var problem)) return (null, span);
            r.Fail("expires_in", problem!);
        }
        if (at is not null)
        {
            // An offset is required: a time without one means a different instant in every time zone.
            if (!System.Text.RegularExpressions.Regex.IsMatch(at, @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)
                || !DateTimeOffset.TryParse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var parsed))
                r.Fail("expires_at", $"must be an RFC 3339 date-time with an offset, e.g. 2026-12-31T17:00:00Z (got '{at}')");
            else if (parsed.UtcDateTime <= now)
                r.Fail("expires_at", $"{at} is not in the future; a request must be able to live before it expires");
            else if (parsed.UtcDateTime > now + Activities.Deadlines.IsoDuration.Max)
                r.Fail("expires_at", $"{at} is more than ten years ahead, the longest lifetime AWE accepts");
            else return (parsed.UtcDateTime, null);
        }
        return (null, null);
    }

    /// <summary>False (with the problem recorded) when the context is larger than awe.limits.max_context_bytes.</summary>
    public static bool ContextFits(JsonFieldReader r, JsonObject context, int maxBytes)
    {
        var size = Encoding.UTF8.GetByteCount(context.ToJsonString());
        if (size <= maxBytes) return true;
        r.Fail("context", $"is {size} bytes of JSON, more than the {maxBytes} a request's context may have (awe.limits.max_context_bytes); pass large data by reference");
        return false;
    }

    private static string? IdempotencyKey(HttpContext ctx)
    {
        var values = ctx.Request.Headers["Idempotency-Key"];
        if (values.Count == 0) return null;
        var key = values.ToString().Trim();
        if (key.Length is 0 or > 255)
            throw AweException.Invalid("must be 1 to 255 characters, e.g. '{artifact_type}:{artifact_id}:{your request id}' or a UUID", "Idempotency-Key");
        return key;
    }

    private static async Task<IResult?> Replay(AweDbContext db, string key, CallerIdentity caller, string hash, CancellationToken ct)
    {
        var stored = await db.IdempotencyKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Key == key, ct);
        if (stored is null) return null;
        // Keys are unique across callers, so another caller's key can be neither replayed (its answer is not ours to
        // see) nor reused: say which of the two happened.
        if (stored.CallerService != caller.Subject)
            throw AweException.Conflict(ErrorCodes.IdempotencyConflict,
                $"Idempotency-Key '{key}' is already in use by another caller; choose keys unlikely to collide, e.g. prefixed with your service name or a UUID");
        if (stored.RequestHash != hash)
            throw AweException.Conflict(ErrorCodes.IdempotencyConflict,
                $"Idempotency-Key '{key}' was already used with a different request body; use a new key for a new request");
        return Results.Content(stored.ResponsePayload.ToJsonString(), "application/json", Encoding.UTF8, stored.StatusCode);
    }

    /// <summary>Hash of the body with object keys sorted, so formatting and key order do not make a "different" body.</summary>
    private static string Hash(JsonNode body) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(body))));

    private static string Canonical(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => JsonSerializer.Serialize(p.Key) + ":" + Canonical(p.Value))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Canonical)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };
}
