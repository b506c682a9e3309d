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
using TaskStatus = Awe.Activities.Model.TaskStatus;

namespace Awe.Host.Tasks;

public sealed record PagedTasksOut(IReadOnlyList<TaskOut> Items, int Total, int Page, int PageSize, int Pages)
{
    /// <summary>
    /// True when more than TaskInbox.CountCap tasks match: Total and Pages then stop at the cap (pages past it are
    /// still served), as large inboxes do, so that a person with 100,000 open tasks does not make every look slow.
    /// </summary>
    public bool TotalCapped { get; init; }
}

public sealed record TaskStatsOut(int Total, int ChangeRequestCount, int IntakeFormCount);

public sealed record DecisionOut(string Id, string RequestId, string TaskId, int StageOrder, string Actor, string Action, string? Comment,
    string? AttachmentsRef, DateTime CreatedAt, string RequestStatus, int CurrentStageOrder);

public static class TaskEndpoints
{
    private static readonly string[] TaskStatuses =
        [TaskStatus.Open, TaskStatus.Claimed, TaskStatus.Completed, TaskStatus.Skipped, TaskStatus.Expired, TaskStatus.Reassigned];

    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/tasks").WithTags("Tasks");
        g.MapGet("", List).RequireAccess(Access.AnyCaller)
            .WithSummary("Tasks (assignee=me by default; '*' as in the reference; any other value names an assignee), paged");
        g.MapGet("/stats", Stats).RequireAccess(Access.AnyCaller).WithSummary("Counts of the caller's tasks by artifact type");
        g.MapGet("/{id}", Get).RequireAccess(Access.AnyCaller).WithSummary("One task");
        g.MapPost("/{id}/claim", Claim).RequireAccess(Access.AnyCaller).WithSummary("Claim an open task (its assignee or AWE_ADMIN)");
        g.MapPost("/{id}/decision", Decide).RequireAccess(Access.AnyCaller).Accepts<JsonObject>("application/json").Produces<DecisionOut>(201)
            .WithSummary("Approve, reject or abstain (its assignee or AWE_ADMIN); answers with the request's state after the decision");
        g.MapPost("/{id}/reassign", Reassign).RequireAccess(Access.Admin).Accepts<JsonObject>("application/json")
            .WithSummary("Move a live task to another person (AWE_ADMIN); answers with the new task");
    }

    private static async Task<PagedTasksOut> List(HttpContext ctx, AweDbContext db, string? assignee, string? request_id, string? status,
        string? artifact_type, string? policy_key, string? search_text, int? page, int? page_size, CancellationToken ct)
    {
        var caller = ctx.Caller();
        var size = Query.Limit(page_size, 25, 100, "page_size");
        var number = page ?? 1;
        if (number < 1) throw AweException.Invalid($"must be ≥ 1 (got {number})", "page");
        if (status is not null && !TaskStatuses.Contains(status))
            throw AweException.Invalid($"must be one of {string.Join(", ", TaskStatuses)} (got '{status}')", "status");

        var who = assignee == "*" ? null
            : string.IsNullOrWhiteSpace(assignee) || assignee == "me" ? caller.AssigneeId : UserIds.ForLookup(assignee);
        var matching = TaskInbox.Matching(db, new TaskFilter(who, caller.AssigneeId, status, NullIfBlank(request_id),
            NullIfBlank(artifact_type), NullIfBlank(policy_key), NullIfBlank(search_text)));

        // One connection for both statements, and the count only when the page cannot tell the total itself.
        await db.Database.OpenConnectionAsync(ct);
        // In long: (page - 1) * page_size overflows int for a large page, and a negative OFFSET is a database error.
        var skip = (long)(number - 1) * size;
        var rows = skip > int.MaxValue ? [] : await TaskInbox.Page(db, matching, (int)skip, size).ToListAsync(ct);
        int total;
        var capped = false;
        if (rows.Count > 0 && rows.Count < size) total = (int)skip + rows.Count; // the last page: everything is in sight
        else
        {
            var counted = await TaskInbox.CountCappedAsync(matching, ct);
            capped = counted > TaskInbox.CountCap;
            total = Math.Min(counted, TaskInbox.CountCap);
        }
        return new PagedTasksOut(rows.Select(r => r.ToOut()).ToList(), total, number, size, total == 0 ? 1 : (total + size - 1) / size)
            { TotalCapped = capped };
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static async Task<TaskStatsOut> Stats(HttpContext ctx, AweDbContext db, string? status, CancellationToken ct)
    {
        var me = ctx.Caller().AssigneeId;
        var q = from t in db.Tasks.AsNoTracking()
                join r in db.Requests.AsNoTracking() on t.RequestId equals r.Id
                where t.Assignee == me
                select new { t.Status, r.ArtifactType };
        if (!string.IsNullOrWhiteSpace(status)) q = q.Where(x => x.Status == status);
        var counts = await q.GroupBy(x => x.ArtifactType).Select(g => new { Type = g.Key, Count = g.Count() }).ToListAsync(ct);
        return new TaskStatsOut(counts.Sum(c => c.Count),
            counts.Where(c => c.Type == "registry.change_request").Sum(c => c.Count),
            counts.Where(c => c.Type == "registry.intake_form").Sum(c => c.Count));
    }

    private static async Task<TaskOut> Get(string id, AweDbContext db, CancellationToken ct)
    {
        var task = await db.Tasks.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, ct) ?? throw InstanceStore.TaskNotFound(id);
        var request = await db.Requests.AsNoTracking().FirstAsync(r => r.Id == task.RequestId, ct);
        var decision = task.DecisionId is null ? null : await db.Decisions.AsNoTracking().FirstOrDefaultAsync(d => d.Id == task.DecisionId, ct);
        return TaskOut.From(task, request, decision);
    }

    private static async Task<TaskOut> Claim(string id, HttpContext ctx, AweDbContext db, ApprovalRunner runner, InstanceStore store)
    {
        // A change runs to its end once begun (see Decide), so it takes no cancellation.
        var ct = CancellationToken.None;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var instance = await store.LoadForUpdateByTaskAsync(id, ct);
        Authorize(instance.Task(id), ctx.Caller());
        runner.Claim(instance, id);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TaskOut.From(instance.Task(id), instance.Request, null);
    }

    private static async Task<IResult> Decide(string id, HttpContext ctx, AweDbContext db, ApprovalRunner runner, InstanceStore store)
    {
        using var operation = Observability.EngineOperation.Start("decision", EngineTelemetry.Spans.Decide);
        operation.Span?.SetTag("awe.task_id", id);
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var problems = new List<ValidationProblem>();
        var reader = new JsonFieldReader(problems);
        reader.RejectUnknown(body, "", ["action", "comment", "attachments_ref"],
            new Dictionary<string, string> { ["decision"] = "did you mean action?" });
        var action = reader.OneOf(body, "", "action", DecisionAction.All, null);
        // Absent and null alike: OneOf reports only a value it does not know.
        if (action is null && body["action"] is null) reader.Fail("action", "is required: approve, reject or abstain");
        var comment = reader.String(body, "", "comment", required: false, maxLength: 10_000, minLength: 0);
        var attachments = reader.String(body, "", "attachments_ref", required: false, maxLength: 2048, minLength: 0);
        if (problems.Count > 0) throw AweException.Invalid(problems);

        // Once the transaction begins, the decision runs to its commit even if the caller hangs up: cancelling it half-way
        // would only turn a change whose outcome the caller no longer hears into a logged transaction failure.
        var ct = CancellationToken.None;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The lock, the request, its tasks and decisions in one round trip; the task is checked from what that read.
        var instance = await store.LoadForUpdateByTaskAsync(id, ct);
        var caller = ctx.Caller();
        var task = instance.Task(id);
        Authorize(task, caller);
        if (task.Assignee == caller.AssigneeId && caller.Name is not null) task.AssigneeName = caller.Name;
        var decision = await runner.DecideAsync(instance, id, action!, caller.AssigneeId, comment, attachments, ct);
        store.AddCreated(instance);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return Results.Json(new DecisionOut(decision.Id, decision.RequestId, decision.TaskId, decision.StageOrder, decision.Actor,
            decision.Action, decision.Comment, decision.AttachmentsRef, decision.CreatedAt, instance.Request.Status,
            instance.Request.CurrentStageOrder), statusCode: 201);
    }

    private static async Task<TaskOut> Reassign(string id, HttpContext ctx, AweDbContext db, ApprovalRunner runner, InstanceStore store,
        AuditLog audit)
    {
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var problems = new List<ValidationProblem>();
        var reader = new JsonFieldReader(problems);
        reader.RejectUnknown(body, "", ["new_assignee", "reason"]);
        var newAssignee = reader.UserId(body, "", "new_assignee", required: true);
        var reason = reader.String(body, "", "reason", required: false, maxLength: 2000, minLength: 0);
        if (problems.Count > 0) throw AweException.Invalid(problems);

        var ct = CancellationToken.None; // a change runs to its end once begun (see Decide)
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var instance = await store.LoadForUpdateByTaskAsync(id, ct);
        var requestId = instance.Request.Id;
        var caller = ctx.Caller();
        var old = instance.Task(id);
        // Captured before the run, which marks the old task reassigned: the audit shows what it was (open or claimed).
        var (from, statusBefore) = (old.Assignee, old.Status);
        var replacement = await runner.ReassignAsync(instance, id, newAssignee!, caller.AssigneeId, reason, ct);
        store.AddCreated(instance);
        audit.Record(caller, "task.reassign", "task", id, before: new { assignee = from, status = statusBefore },
            after: new { assignee = replacement.Assignee, new_task_id = replacement.Id }, metadata: new { reason, request_id = requestId },
            summary: $"reassigned task {id} from {from} to {replacement.Assignee}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TaskOut.From(replacement, instance.Request, null);
    }

    /// <summary>Only the assignee (by preferred_username, else username, else sub) or AWE_ADMIN acts on a task.</summary>
    private static void Authorize(ApprovalTask task, CallerIdentity caller)
    {
        if (task.Assignee != caller.AssigneeId && !caller.IsAdmin)
            throw AweException.Forbidden($"task {task.Id} is assigned to {task.Assignee}; you are {caller.AssigneeId}. Only the assignee or {Roles.Admin} may act on it");
    }
}
