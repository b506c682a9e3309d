using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Policies;
using Awe.Activities.Runtime;
using Awe.Host.Api;
using Awe.Host.Audit;
using Awe.Host.Auth;
using Awe.Host.Persistence;
using Awe.Host.Requests;
using Microsoft.EntityFrameworkCore;

namespace Awe.Host.Policies;

public static class PolicyEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/policies").WithTags("Policies");

        g.MapPost("", Create).RequireAccess(Access.Admin).Accepts<JsonObject>("application/json")
            .Produces<PolicyOut>(201).WithSummary("Create a policy (version 1, draft)");
        g.MapGet("", List).RequireAccess(Access.Viewer).WithSummary("Newest version of every policy");
        g.MapGet("/{key}/versions", Versions).RequireAccess(Access.Viewer).WithSummary("All versions of a policy, newest first");
        g.MapGet("/{key}/versions/{version:int}", Get).RequireAccess(Access.Viewer).WithSummary("One policy version");
        g.MapPut("/{key}", AddVersion).RequireAccess(Access.Admin).Accepts<JsonObject>("application/json")
            .Produces<PolicyOut>(201).WithSummary("Create a new draft version (latest + 1)");
        g.MapPatch("/{key}/versions/{version:int}", EditDraft).RequireAccess(Access.Admin).Accepts<JsonObject>("application/json")
            .WithSummary("Replace a draft version's content");
        g.MapPost("/{key}/versions/{version:int}/activate", Activate).RequireAccess(Access.Admin)
            .WithSummary("Activate a version (compiles its workflow; archives the previously active one)");
        g.MapPost("/{key}/versions/{version:int}/deactivate", Deactivate).RequireAccess(Access.Admin)
            .WithSummary("Archive the active version; new requests for the key are refused until another is activated");
        g.MapPost("/{key}/versions/{version:int}/simulate", Simulate).RequireAccess(Access.Viewer).Accepts<JsonObject>("application/json")
            .WithSummary("Who would approve, stage by stage, for a given context (SoD and delegations applied; nothing written)");
        g.MapGet("/{key}/versions/{version:int}/workflow", Workflow).RequireAccess(Access.Viewer)
            .WithSummary("The compiled workflow definition of a version (a draft's is a preview, compiled on the fly)");
    }

    private static async Task<IResult> Create(HttpContext ctx, AweDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        var input = await ReadAsync(ctx);
        if (await db.Policies.AnyAsync(p => p.PolicyKey == input.PolicyKey, ct))
            throw AweException.Conflict(ErrorCodes.PolicyExists,
                $"policy '{input.PolicyKey}' already exists; add a version with PUT /v1/awe/policies/{input.PolicyKey}");
        var now = clock.GetUtcNow().UtcDateTime;
        var caller = ctx.Caller();
        var policy = new ApprovalPolicy { PolicyKey = input.PolicyKey, Version = 1, CreatedBy = caller.Subject, CreatedAt = now };
        PolicyMapping.Apply(policy, input, now);
        db.Policies.Add(policy);
        var output = PolicyOut.From(policy);
        audit.Record(caller, "policy.create", "policy", $"{policy.PolicyKey}:v1", after: output, summary: $"created {policy.PolicyKey} v1");
        await SaveUniqueAsync(db, ct, $"policy '{input.PolicyKey}' was created by someone else at the same moment", ErrorCodes.PolicyExists);
        return Results.Created($"/v1/awe/policies/{policy.PolicyKey}/versions/1", output);
    }

    private static async Task<IEnumerable<PolicyOut>> List(AweDbContext db, CancellationToken ct)
    {
        var newest = await db.Policies.AsNoTracking()
            .Where(p => p.Version == db.Policies.Where(q => q.PolicyKey == p.PolicyKey).Max(q => q.Version))
            .Include(p => p.Stages).ThenInclude(s => s.Rules)
            .OrderBy(p => p.PolicyKey)
            .AsSplitQuery()
            .ToListAsync(ct);
        return newest.Select(PolicyOut.From);
    }

    private static async Task<IEnumerable<PolicyVersionOut>> Versions(string key, AweDbContext db, CancellationToken ct)
    {
        var versions = await db.Policies.AsNoTracking().Where(p => p.PolicyKey == key).OrderByDescending(p => p.Version)
            .Select(p => new PolicyVersionOut(p.Id, p.PolicyKey, p.Version, p.Status, p.CreatedAt, p.UpdatedAt)).ToListAsync(ct);
        if (versions.Count == 0) throw UnknownPolicy(key);
        return versions;
    }

    private static async Task<PolicyOut> Get(string key, int version, AweDbContext db, CancellationToken ct) =>
        PolicyOut.From(await Load(db, key, version, ct, tracking: false));

    private static async Task<IResult> AddVersion(string key, HttpContext ctx, AweDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        var input = await ReadAsync(ctx);
        CheckKey(key, input);
        // Under the key lock, two simultaneous new versions both succeed (v+1 and v+2) instead of colliding.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockKeyAsync(db, key, ct);
        var latest = await db.Policies.Where(p => p.PolicyKey == key).MaxAsync(p => (int?)p.Version, ct) ?? throw UnknownPolicy(key);
        var now = clock.GetUtcNow().UtcDateTime;
        var caller = ctx.Caller();
        var policy = new ApprovalPolicy { PolicyKey = key, Version = latest + 1, CreatedBy = caller.Subject, CreatedAt = now };
        PolicyMapping.Apply(policy, input, now);
        db.Policies.Add(policy);
        var output = PolicyOut.From(policy);
        audit.Record(caller, "policy.add_version", "policy", $"{key}:v{policy.Version}", after: output, summary: $"added draft {key} v{policy.Version}");
        await SaveUniqueAsync(db, ct, $"another version of '{key}' was created at the same moment; retry", ErrorCodes.WrongState);
        await tx.CommitAsync(ct);
        return Results.Created($"/v1/awe/policies/{key}/versions/{policy.Version}", output);
    }

    private static async Task<PolicyOut> EditDraft(string key, int version, HttpContext ctx, AweDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        var input = await ReadAsync(ctx);
        CheckKey(key, input);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockKeyAsync(db, key, ct);
        var policy = await Load(db, key, version, ct);
        if (policy.Status != PolicyStatus.Draft)
            throw AweException.Conflict(ErrorCodes.WrongState,
                $"{key} v{version} is {policy.Status}; only drafts can be edited. Create a new draft with PUT /v1/awe/policies/{key}");
        var before = PolicyOut.From(policy);
        db.Stages.RemoveRange(policy.Stages);
        await db.SaveChangesAsync(ct);
        var caller = ctx.Caller();
        PolicyMapping.Apply(policy, input, clock.GetUtcNow().UtcDateTime);
        policy.CreatedBy = caller.Subject;
        db.Stages.AddRange(policy.Stages);
        var after = PolicyOut.From(policy);
        audit.Record(caller, "policy.update", "policy", $"{key}:v{version}", before, after, summary: $"edited draft {key} v{version}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return after;
    }

    private static async Task<PolicyOut> Activate(string key, int version, HttpContext ctx, AweDbContext db, AuditLog audit,
        TimeProvider clock, DefinitionCache definitions, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockKeyAsync(db, key, ct);
        var policy = await Load(db, key, version, ct);
        if (policy.Status == PolicyStatus.Active) return PolicyOut.From(policy);
        var now = clock.GetUtcNow().UtcDateTime;
        var previous = await db.Policies.Where(p => p.PolicyKey == key && p.Status == PolicyStatus.Active).ToListAsync(ct);
        foreach (var p in previous)
        {
            p.Status = PolicyStatus.Archived;
            p.UpdatedAt = now;
        }
        // Archive first: the database allows one active version per key, and checks it row by row.
        await db.SaveChangesAsync(ct);
        // Compiled once; a version re-activated from the archive keeps the definition its requests ran.
        policy.WorkflowDefinition ??= WorkflowCompiler.Compile(policy, now).ToJson();
        policy.Status = PolicyStatus.Active;
        policy.UpdatedAt = now;
        audit.Record(ctx.Caller(), "policy.activate", "policy", $"{key}:v{version}",
            before: new { previous = previous.Select(p => new { p.Version, status = PolicyStatus.Active }) },
            after: new { version, status = PolicyStatus.Active, archived = previous.Select(p => p.Version) },
            summary: $"activated {key} v{version}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return PolicyOut.From(policy);
    }

    private static async Task<PolicyOut> Deactivate(string key, int version, HttpContext ctx, AweDbContext db, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockKeyAsync(db, key, ct);
        var policy = await Load(db, key, version, ct);
        if (policy.Status != PolicyStatus.Active)
            throw AweException.Conflict(ErrorCodes.WrongState, $"{key} v{version} is {policy.Status}; only the active version can be deactivated");
        policy.Status = PolicyStatus.Archived;
        policy.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        audit.Record(ctx.Caller(), "policy.deactivate", "policy", $"{key}:v{version}",
            before: new { status = PolicyStatus.Active }, after: new { status = PolicyStatus.Archived },
            summary: $"deactivated {key} v{version}; new requests are refused until a version is activated");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return PolicyOut.From(policy);
    }

    private static async Task<SimulateResponse> Simulate(string key, int version, HttpContext ctx, AweDbContext db, ApprovalRunner runner,
        TimeProvider clock, Microsoft.Extensions.Options.IOptions<Configuration.AweOptions> options, CancellationToken ct)
    {
        var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);
        var problems = new List<ValidationProblem>();
        var reader = new JsonFieldReader(problems);
        reader.RejectUnknown(body, "", ["context", "requester", "created_by", "prior_approvers"]);
        var context = body["context"] ?? new JsonObject();
        if (context is not JsonObject co) reader.Fail("context", "must be an object");
        else RequestEndpoints.ContextFits(reader, co, options.Value.Limits.MaxContextBytes);
        var requester = reader.UserId(body, "", "requester", required: false);
        var createdBy = reader.UserId(body, "", "created_by", required: false);
        if (problems.Count > 0) throw AweException.Invalid(problems);

        var policy = await Load(db, key, version, ct, tracking: false);
        var definition = policy.WorkflowDefinition is { } json ? WorkflowDefinition.FromJson(json) : WorkflowCompiler.Compile(policy, clock.GetUtcNow().UtcDateTime);
        var request = new ApprovalRequest
        {
            PolicyId = policy.Id, PolicyKey = key, PolicyVersion = version, ArtifactType = policy.ArtifactType, ArtifactId = "simulation",
            Requester = requester ?? ctx.Caller().AssigneeId, Context = context.DeepClone(),
        };
        // As if the request were created by created_by (default: the caller); forbid_self_approval excludes them too.
        var sod = SegregationOfDuties.For(definition, request, createdBy ?? ctx.Caller().AssigneeId);
        var stages = new List<SimulatedStage>();
        string? outcome = null;
        foreach (var node in definition.StageNodes)
        {
            var stage = node.Stage!;
            if (stage.SkipIf is not null && ApprovalRunner.SkipIfHolds(stage.SkipIf, request.Context))
            {
                stages.Add(new SimulatedStage(stage.StageOrder, stage.Name, stage.Mode, stage.ModeValue, stage.ParallelGroup, [], [], [], [], [], true, "skip_if", "skipped"));
                continue;
            }
            var plan = await runner.PlanStageAsync(stage, request, sod, ct);
            var empty = plan.Approvers.Count == 0;
            var stageOutcome = !empty ? "tasks" : stage.OnEmpty == "skip" ? "skipped" : "rejected";
            if (empty && stage.OnEmpty != "skip") outcome ??= "rejected";
            stages.Add(new SimulatedStage(stage.StageOrder, stage.Name, stage.Mode, stage.ModeValue, stage.ParallelGroup,
                plan.Approvers.Select(a => a.Assignee).ToList(), plan.Observers.Select(o => o.Assignee).ToList(),
                plan.Approvers.Where(a => a.RequiredSlot is not null).Select(a => a.Assignee).ToList(),
                plan.Approvers.Concat(plan.Observers).Where(a => a.DelegatedFrom is not null).Select(a => new SimulatedDelegation(a.DelegatedFrom!, a.Assignee)).ToList(),
                plan.Excluded.Select(e => new SimulatedExclusion(e.UserId, e.Reason)).ToList(),
                empty && stage.OnEmpty == "skip", empty && stage.OnEmpty == "skip" ? "no_approvers" : null, stageOutcome));
        }
        if (stages.All(s => s.Skipped)) outcome ??= "approved";
        return new SimulateResponse(policy.Id, policy.Version, outcome, stages);
    }

    private static async Task<JsonNode> Workflow(string key, int version, AweDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var policy = await Load(db, key, version, ct, tracking: false);
        var compiled = policy.WorkflowDefinition is not null;
        var definition = compiled ? WorkflowDefinition.FromJson(policy.WorkflowDefinition!) : WorkflowCompiler.Compile(policy, clock.GetUtcNow().UtcDateTime);
        var node = definition.ToJsonNode();
        node["policy_status"] = policy.Status;
        node["preview"] = !compiled;
        return node;
    }

    // ---- helpers ----

    private static async Task<PolicyInput> ReadAsync(HttpContext ctx)
    {
        var body = await JsonBody.ReadAsync(ctx.Request);
        var calendars = ctx.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Configuration.AweOptions>>().Value.Calendars.Keys;
        var (input, problems) = PolicyReader.Read(body, calendars.ToList());
        if (input is null) throw AweException.Invalid(problems);
        return input;
    }

    private static void CheckKey(string key, PolicyInput input)
    {
        if (input.PolicyKey != key)
            throw new AweException(400, ErrorCodes.KeyMismatch,
                $"policy_key in the body ('{input.PolicyKey}') differs from the URL ('{key}'); they must match");
    }

    public static AweException UnknownPolicy(string key, int? version = null) =>
        AweException.NotFound(ErrorCodes.PolicyNotFound,
            version is null ? $"policy '{key}' does not exist" : $"policy '{key}' has no version {version}");

    private static async Task<ApprovalPolicy> Load(AweDbContext db, string key, int version, CancellationToken ct, bool tracking = true)
    {
        var q = db.Policies.Include(p => p.Stages).ThenInclude(s => s.Rules).AsSplitQuery();
        if (!tracking) q = q.AsNoTracking();
        return await q.FirstOrDefaultAsync(p => p.PolicyKey == key && p.Version == version, ct)
               ?? throw (await db.Policies.AnyAsync(p => p.PolicyKey == key, ct) ? UnknownPolicy(key, version) : UnknownPolicy(key));
    }

    /// <summary>Serializes status changes of one policy key (activate, deactivate, edit) across replicas.</summary>
    private static async Task LockKeyAsync(AweDbContext db, string key, CancellationToken ct)
    {
        if (db.IsPostgres)
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM approval_policy WHERE policy_key = {key} FOR UPDATE", ct);
    }

    private static async Task SaveUniqueAsync(AweDbContext db, CancellationToken ct, string message, string code)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
        {
            throw AweException.Conflict(code, message);
        }
    }
}
