namespace Awe.Activities.Quorum;

/// <summary>
/// Decides whether an approval stage is still open, approved or rejected, given the current approver tasks.
/// Pure and stateless: the same votes always give the same verdict, so it can be re-run after every task change.
/// </summary>
public static class QuorumEvaluator
{
    public static StageVerdict Evaluate(QuorumMode mode, int? modeValue, IReadOnlyList<Vote> votes)
    {
        ArgumentNullException.ThrowIfNull(votes);

        // The caller already drops observers; skipping them again guarantees an observer can never veto or fill a seat.
        var approvers = votes.Where(v => !v.IsObserver).ToList();

        // A single rejection ends the stage regardless of how many approvals exist.
        var rejecters = approvers.Where(v => v.Status == VoteStatus.Rejected).Select(v => v.Assignee).ToList();
        if (rejecters.Count > 0)
            return Reject(QuorumReasons.Vetoed, $"{string.Join(", ", rejecters)} rejected");

        // Required slots come before the quorum math: once a required user can no longer approve,
        // the stage can never succeed, so it is rejected now instead of waiting for the other votes.
        var pendingSlots = new List<string>();
        foreach (var slot in approvers.Where(v => v.RequiredSlot is not null).GroupBy(v => v.RequiredSlot!, StringComparer.Ordinal))
        {
            if (slot.Any(v => v.Status == VoteStatus.Approved))
                continue;
            if (slot.Any(IsLive))
            {
                pendingSlots.Add(slot.Key);
                continue;
            }
            return Reject(QuorumReasons.RequiredApproverMissing,
                $"required approver {slot.Key} did not approve ({DescribeTasks(slot.ToList())})");
        }

        // Expired, reassigned and skipped tasks are not seats, so they never stall a stage (a reassignment's
        // successor task is its own seat). Checked before the quorum math so `all` is never approved vacuously.
        int seats = approvers.Count(IsSeat);
        if (seats == 0)
            return Reject(QuorumReasons.NoLiveApprovers, approvers.Count == 0
                ? "stage has no approver tasks"
                : $"none of the {approvers.Count} approver tasks is open or decided (all expired, reassigned or skipped)");

        int approves = approvers.Count(v => v.Status == VoteStatus.Approved);
        int live = approvers.Count(IsLive);
        int needed = RequiredApprovals(mode, modeValue, seats);

        if (approves >= needed)
            return pendingSlots.Count == 0
                ? new StageVerdict(StageOutcome.Approved, Detail: $"{approves} of {needed} needed approvals")
                : new StageVerdict(StageOutcome.Open, Detail: $"quorum met, waiting for required approver {string.Join(", ", pendingSlots)}");

        // An abstention is a decided seat that contributes nothing, so it only shrinks what is still achievable.
        int possible = approves + live;
        if (possible < needed)
            return Reject(QuorumReasons.QuorumUnreachable,
                $"{needed} {Plural(needed, "approval")} needed, at most {possible} still possible");

        return new StageVerdict(StageOutcome.Open, Detail: $"{approves} of {needed} needed approvals, {live} still open");
    }

    /// <summary>Approvals needed for the given mode when <paramref name="countedSeats"/> seats count; always at least 1.</summary>
    public static int RequiredApprovals(QuorumMode mode, int? modeValue, int countedSeats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(countedSeats);

        long needed = mode switch
        {
            QuorumMode.All => countedSeats,
            QuorumMode.AnyN or QuorumMode.Quorum => modeValue ?? 1,
            // Integer ceiling: floating point would turn e.g. 7% of 100 into 7.000000000000001 and demand 8.
            QuorumMode.Percentage => CeilDiv((long)(modeValue ?? 100) * countedSeats, 100),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown quorum mode"),
        };

        // Never 0: a stage must not approve itself without anyone approving.
        return (int)Math.Clamp(needed, 1, int.MaxValue);
    }

    /// <summary>Parses the workflow config value ("all", "any-n", "quorum", "percentage"), case-insensitively.</summary>
    public static QuorumMode ParseMode(string mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        return mode.ToLowerInvariant() switch
        {
            "all" => QuorumMode.All,
            "any-n" => QuorumMode.AnyN,
            "quorum" => QuorumMode.Quorum,
            "percentage" => QuorumMode.Percentage,
            _ => throw new ArgumentException(
                $"unknown quorum mode '{mode}'; expected all, any-n, quorum or percentage", nameof(mode)),
        };
    }

    private static bool IsLive(Vote v) => v.Status is VoteStatus.Open or VoteStatus.Claimed;

    private static bool IsSeat(Vote v) =>
        v.Status is VoteStatus.Open or VoteStatus.Claimed or VoteStatus.Approved or VoteStatus.Abstained;

    private static StageVerdict Reject(string reason, string detail) => new(StageOutcome.Rejected, reason, detail);

    // Rounds toward positive infinity for non-negative numerators; negative ones end up <= 0 and are clamped to 1.
    private static long CeilDiv(long numerator, long denominator) => (numerator + denominator - 1) / denominator;

    // "task expired" or "tasks reassigned, expired" – the distinct states in the order the tasks were given.
    private static string DescribeTasks(IReadOnlyList<Vote> tasks)
    {
        var states = tasks.Select(t => t.Status.ToString().ToLowerInvariant()).Distinct();
        return $"{Plural(tasks.Count, "task")} {string.Join(", ", states)}";
    }

    private static string Plural(long count, string noun) => count == 1 ? noun : noun + "s";
}
