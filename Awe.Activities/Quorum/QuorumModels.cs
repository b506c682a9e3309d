namespace Awe.Activities.Quorum;

/// <summary>How many approvals a stage needs (workflow config: "all", "any-n", "quorum", "percentage").</summary>
public enum QuorumMode { All, AnyN, Quorum, Percentage }

/// <summary>Lifecycle state of one approver task.</summary>
public enum VoteStatus { Open, Claimed, Approved, Rejected, Abstained, Expired, Reassigned, Skipped }

/// <summary>
/// One approver task of a stage. <paramref name="RequiredSlot"/> is non-null when the task stems from a
/// <c>required: true</c> rule: it holds the id of the originally required user and is carried over to
/// delegate and reassigned tasks, so one slot can own several tasks over time.
/// Observers are filtered out by the caller; the evaluator still ignores any vote with <paramref name="IsObserver"/> set.
/// </summary>
public sealed record Vote(string TaskId, string Assignee, VoteStatus Status, string? RequiredSlot = null, bool IsObserver = false);

public enum StageOutcome { Open, Approved, Rejected }

/// <summary>
/// Result of evaluating a stage. <paramref name="Reason"/> is a machine code ("vetoed", "quorum_unreachable",
/// "required_approver_missing", "no_live_approvers")
/// and is set only for rejections; <paramref name="Detail"/> is a human-readable sentence.
/// </summary>
public sealed record StageVerdict(StageOutcome Outcome, string? Reason = null, string? Detail = null);

/// <summary>Reason codes used in <see cref="StageVerdict.Reason"/> (internal: the strings themselves are the contract).</summary>
internal static class QuorumReasons
{
    public const string Vetoed = "vetoed";
    public const string QuorumUnreachable = "quorum_unreachable";
    public const string RequiredApproverMissing = "required_approver_missing";
    public const string NoLiveApprovers = "no_live_approvers";
}
