using Awe.Activities.Model;

namespace Awe.Activities.Runtime;

/// <summary>
/// The policy's segregation of duties applied to one request, as a pure rule over people (canonical user ids):
/// with <c>forbid_self_approval</c> neither the requester nor the person who created the request may approve it;
/// with <c>forbid_repeat_approvers</c> a person approves a request at most once, whichever stage, task or
/// identity (assignee or an admin acting for them) the approval came through.
/// </summary>
public sealed class SegregationOfDuties
{
    private readonly bool _forbidSelf;
    private readonly bool _forbidRepeat;
    private readonly HashSet<string> _selves = new(StringComparer.Ordinal);
    private readonly HashSet<string> _approvers = new(StringComparer.Ordinal);

    public SegregationOfDuties(bool forbidSelf, bool forbidRepeat, IEnumerable<string?> selves, IEnumerable<string> approvers)
    {
        _forbidSelf = forbidSelf;
        _forbidRepeat = forbidRepeat;
        foreach (var s in selves)
            if (s is not null && UserIds.Problem(s) is null) _selves.Add(UserIds.Canonical(s));
        foreach (var a in approvers)
            if (UserIds.Problem(a) is null) _approvers.Add(UserIds.Canonical(a));
    }

    /// <summary>The rule as it stands for <paramref name="request"/>: its requester and creator, and everyone who approved so far.</summary>
    public static SegregationOfDuties For(WorkflowDefinition definition, ApprovalRequest request, string? createdBy) =>
        new(definition.ForbidSelfApproval, definition.ForbidRepeatApprovers, [request.Requester, createdBy], ApproversSoFar(request));

    public static SegregationOfDuties For(ApprovalInstance instance) =>
        For(instance.Definition, instance.Request, instance.State.CreatedBy);

    /// <summary>The rule that forbids <paramref name="user"/> to approve, or null.</summary>
    public string? Violation(string user)
    {
        var id = UserIds.ForLookup(user);
        return _forbidSelf && _selves.Contains(id) ? "forbid_self_approval"
            : _forbidRepeat && _approvers.Contains(id) ? "forbid_repeat_approvers"
            : null;
    }

    /// <summary>Why <paramref name="user"/> is excluded, in words, for messages and journal entries.</summary>
    public static string Explain(string rule, string user) => rule switch
    {
        "forbid_self_approval" => $"{user} requested or created this request, and the policy forbids self-approval (forbid_self_approval)",
        "forbid_repeat_approvers" => $"{user} already approved this request, and the policy allows one approval per person (forbid_repeat_approvers)",
        _ => $"{user} may not approve this request ({rule})",
    };

    /// <summary>
    /// Everyone who has approved the request so far, in any stage: the actor of each approval and the assignee
    /// of the task it was cast on (an admin deciding for someone spends both their approvals).
    /// </summary>
    public static IEnumerable<string> ApproversSoFar(ApprovalRequest request)
    {
        var assignees = request.Tasks.ToDictionary(t => t.Id, t => t.Assignee);
        foreach (var d in request.Decisions.Where(d => d.Action == DecisionAction.Approve))
        {
            yield return d.Actor;
            if (assignees.TryGetValue(d.TaskId, out var assignee)) yield return assignee;
        }
    }
}

/// <summary>The policy's segregation of duties forbids this person the change asked for (HTTP 403).</summary>
public sealed class SegregationOfDutiesException(string message) : Exception(message);
