using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Host.Persistence;
using Awe.Host.Requests;
using Microsoft.EntityFrameworkCore;
using TaskStatus = Awe.Activities.Model.TaskStatus;

namespace Awe.Host.Tasks;

/// <summary>What GET /tasks filters on. <see cref="Assignee"/> null means everyone ('*').</summary>
public sealed record TaskFilter(string? Assignee, string Caller, string? Status, string? RequestId, string? ArtifactType,
    string? PolicyKey, string? SearchText);

/// <summary>One row of a task page: the task and the few request and decision columns an item shows.</summary>
public sealed record TaskRow(ApprovalTask Task, JsonNode Context, string ArtifactType, string ArtifactId, string PolicyKey,
    string? SearchText, string? DecisionAction, string? DecisionComment)
{
    public TaskOut ToOut() => new(Task.Id, Task.RequestId, Task.StageId, Task.StageOrder, Task.Assignee, Task.AssigneeName, Task.Kind,
        Task.RequiredSlot is not null, Task.DelegatedFrom, Task.ReassignedFrom, Task.Status, Task.ClaimedAt, Task.CompletedAt, Task.DueAt,
        Task.DecisionId, DecisionAction, DecisionComment, Task.CreatedAt, Task.UpdatedAt, Context, ArtifactType, ArtifactId, PolicyKey,
        SearchText);
}

/// <summary>
/// The task list's queries, built so an inbox stays flat at millions of tasks: the page walks the index
/// (assignee, status, created_at DESC, id) in its order and stops after one page; the request and decision columns
/// are joined to that page only; the count stops at <see cref="CountCap"/>.
/// </summary>
public static class TaskInbox
{
    /// <summary>
    /// Beyond this many matching tasks the total is not counted further (total_capped): counting 100,000 open tasks
    /// of one person costs more than the page itself, and nobody pages that far.
    /// </summary>
    public const int CountCap = 10_000;

    /// <summary>The tasks matching the filter; request columns are looked up only when a filter needs them.</summary>
    public static IQueryable<ApprovalTask> Matching(AweDbContext db, TaskFilter f)
    {
        var q = db.Tasks.AsNoTracking();
        if (f.Assignee is { } who) q = q.Where(t => t.Assignee == who);
        else if (f.Status is null)
            // The reference's "tasks for a request" view: without a status, everyone's finished tasks plus the caller's live ones.
            q = q.Where(t => t.Status == TaskStatus.Completed ||
                             ((t.Status == TaskStatus.Open || t.Status == TaskStatus.Claimed) && t.Assignee == f.Caller));
        if (f.Status is { } status) q = q.Where(t => t.Status == status);
        if (f.RequestId is { } requestId) q = q.Where(t => t.RequestId == requestId);
        if (f.ArtifactType is not null || f.PolicyKey is not null || f.SearchText is not null)
        {
            var requests = db.Requests.AsNoTracking();
            if (f.ArtifactType is { } type) requests = requests.Where(r => r.ArtifactType == type);
            if (f.PolicyKey is { } key) requests = requests.Where(r => r.PolicyKey == key);
            if (f.SearchText is { } text)
            {
                // The caller's text is a literal substring: escape LIKE's wildcards so "50%" or "a_b" match only themselves.
                var literal = text.Trim().ToLowerInvariant().Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");
                var needle = $"%{literal}%";
                requests = requests.Where(r => r.SearchText != null && EF.Functions.Like(r.SearchText.ToLower(), needle, @"\"));
            }
            q = q.Where(t => requests.Any(r => r.Id == t.RequestId));
        }
        return q;
    }

    /// <summary>One page, newest first, with the request's and decision's columns joined to that page's rows only.</summary>
    public static IQueryable<TaskRow> Page(AweDbContext db, IQueryable<ApprovalTask> matching, int skip, int take) =>
        from t in matching.OrderByDescending(t => t.CreatedAt).ThenBy(t => t.Id).Skip(skip).Take(take)
        join r in db.Requests.AsNoTracking() on t.RequestId equals r.Id
        join d in db.Decisions.AsNoTracking() on t.DecisionId equals d.Id into decided
        from d in decided.DefaultIfEmpty()
        orderby t.CreatedAt descending, t.Id
        select new TaskRow(t, r.Context, r.ArtifactType, r.ArtifactId, r.PolicyKey, r.SearchText,
            d == null ? null : d.Action, d == null ? null : d.Comment);

    /// <summary>How many tasks match, counting at most <see cref="CountCap"/> + 1 of them.</summary>
    public static Task<int> CountCappedAsync(IQueryable<ApprovalTask> matching, CancellationToken ct) =>
        matching.Take(CountCap + 1).CountAsync(ct);
}
