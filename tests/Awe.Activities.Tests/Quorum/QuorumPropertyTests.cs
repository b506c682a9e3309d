using Awe.Activities.Quorum;
using CsCheck;

namespace Awe.Activities.Tests.Quorum;

/// <summary>
/// Property-based tests of the quorum rules (CsCheck): random stages — any mix of modes, mode values (including 0,
/// negative and over 100 %), vote states, required slots and observers — are judged by <see cref="QuorumEvaluator"/>
/// and by an independent reference model written from the rules as documented, which decides "can this stage still be
/// approved?" by trying every way the open tasks could still be decided instead of by counting. CsCheck shrinks a
/// disagreement to a smallest stage and prints it.
/// </summary>
public class QuorumPropertyTests
{
    private const long Iterations = 20_000;

    private static readonly Gen<QuorumMode> Modes = Gen.Enum<QuorumMode>();
    private static readonly Gen<VoteStatus> Statuses = Gen.Enum<VoteStatus>();

    /// <summary>One task: an approver (sometimes of a required slot) or, now and then, an observer.</summary>
    private static readonly Gen<(VoteStatus Status, int Slot, bool Observer)> Tasks =
        Gen.Select(Statuses, Gen.Int[0, 5], Gen.Int[0, 9], (status, slot, observer) => (status, slot, observer == 0));

    private static readonly Gen<Stage> Stages =
        Gen.Select(Modes, Gen.Int[-5, 160].Nullable(), Tasks.Array[0, 9], (mode, value, tasks) => new Stage(mode, value,
            tasks.Select((t, i) => new Vote($"t{i}", $"u{i}", t.Status, t.Slot switch { 1 => "s-1", 2 => "s-2", _ => null }, t.Observer)).ToArray()));

    public sealed record Stage(QuorumMode Mode, int? ModeValue, Vote[] Votes)
    {
        public override string ToString() =>
            $"{Mode} {ModeValue?.ToString() ?? "null"}: [{string.Join(", ", Votes.Select(v => $"{v.Assignee} {v.Status}{(v.RequiredSlot is null ? "" : " req " + v.RequiredSlot)}{(v.IsObserver ? " observer" : "")}"))}]";
    }

    [Fact]
    public void The_evaluator_agrees_with_the_reference_model() =>
        Stages.Sample(stage =>
        {
            var actual = QuorumEvaluator.Evaluate(stage.Mode, stage.ModeValue, stage.Votes);
            var expected = ReferenceModel.Judge(stage.Mode, stage.ModeValue, stage.Votes);
            Assert.Equal(expected, (actual.Outcome, actual.Reason));
        }, iter: Iterations, print: s => s.ToString());

    [Fact]
    public void The_verdict_does_not_depend_on_the_order_of_the_tasks() =>
        Gen.Select(Stages, Gen.Int.Array[9], (stage, keys) => (stage, keys)).Sample((stage, keys) =>
        {
            var shuffled = stage.Votes.Select((v, i) => (v, keys[i])).OrderBy(x => x.Item2).Select(x => x.v).ToArray();
            var a = QuorumEvaluator.Evaluate(stage.Mode, stage.ModeValue, stage.Votes);
            var b = QuorumEvaluator.Evaluate(stage.Mode, stage.ModeValue, shuffled);
            Assert.Equal((a.Outcome, a.Reason), (b.Outcome, b.Reason));
        }, iter: Iterations, print: x => x.Item1.ToString());

    [Fact]
    public void Observers_never_change_the_verdict() =>
        Gen.Select(Stages, Statuses, (stage, status) => (stage, status)).Sample((stage, status) =>
        {
            var withObserver = stage.Votes.Append(new Vote("t-obs", "u-obs", status, "s-1", IsObserver: true)).ToArray();
            var a = QuorumEvaluator.Evaluate(stage.Mode, stage.ModeValue, stage.Votes);
            var b = QuorumEvaluator.Evaluate(stage.Mode, stage.ModeValue, withObserver);
            Assert.Equal((a.Outcome, a.Reason), (b.Outcome, b.Reason));
        }, iter: Iterations, print: x => $"{x.Item1} + observer {x.Item2}");

    [Fact]
    public void Deciding_an_open_task_never_reopens_a_decided_stage_and_a_reject_always_vetoes() =>
        Gen.Select(Stages, Gen.Int[0, 8], Gen.OneOf(VoteStatus.Approved, VoteStatus.Abstained, VoteStatus.Rejected), (stage, i, to) => (stage, i, to))
            .Sample((stage, i, to) =>
            {
                var open = stage.Votes.Where(v => !v.IsObserver && v.Status is VoteStatus.Open or VoteStatus.Claimed).ToList();
                if (open.Count == 0) return;
                var target = open[i % open.Count];
                var before = QuorumEvaluator.Evaluate(stage.Mode, stage.ModeValue, stage.Votes);
                var after = QuorumEvaluator.Evaluate(stage.Mode, stage.ModeValue,
                    stage.Votes.Select(v => v == target ? v with { Status = to } : v).ToArray());
                if (to == VoteStatus.Rejected) Assert.Equal((StageOutcome.Rejected, "vetoed"), (after.Outcome, after.Reason));
                else if (before.Outcome == StageOutcome.Rejected) Assert.Equal(StageOutcome.Rejected, after.Outcome);
                else if (before.Outcome == StageOutcome.Approved && to == VoteStatus.Approved) Assert.Equal(StageOutcome.Approved, after.Outcome);
            }, iter: Iterations, print: x => $"{x.Item1}; task #{x.Item2} → {x.Item3}");

    [Fact]
    public void Required_approvals_are_at_least_one_and_a_percentage_up_to_100_never_asks_more_than_the_seats() =>
        Gen.Select(Modes, Gen.Int[-5, 160].Nullable(), Gen.Int[0, 1000], (mode, value, seats) => (mode, value, seats)).Sample((mode, value, seats) =>
        {
            var needed = QuorumEvaluator.RequiredApprovals(mode, value, seats);
            Assert.True(needed >= 1);
            if (mode == QuorumMode.Percentage && (value ?? 100) <= 100 && seats > 0) Assert.True(needed <= seats);
            if (mode == QuorumMode.Percentage && seats > 0)
                Assert.Equal(Math.Max(1, (int)Math.Ceiling((value ?? 100) * (decimal)seats / 100)), needed);
        }, iter: Iterations);

    /// <summary>
    /// The rules as the documentation states them, judged by brute force. A stage is approved once it has enough
    /// approvals and every required slot has one; one reject vetoes it; it is rejected as soon as no way of deciding the
    /// tasks still open could approve it. Expired, reassigned and skipped tasks are not seats; an abstention is.
    /// </summary>
    private static class ReferenceModel
    {
        public static (StageOutcome, string?) Judge(QuorumMode mode, int? modeValue, IReadOnlyList<Vote> all)
        {
            var votes = all.Where(v => !v.IsObserver).ToList();
            if (votes.Any(v => v.Status == VoteStatus.Rejected)) return (StageOutcome.Rejected, "vetoed");

            var live = votes.Where(v => v.Status is VoteStatus.Open or VoteStatus.Claimed).ToList();
            var slots = votes.Where(v => v.RequiredSlot is not null).GroupBy(v => v.RequiredSlot).ToList();
            if (slots.Any(s => s.All(v => v.Status != VoteStatus.Approved && !live.Contains(v))))
                return (StageOutcome.Rejected, "required_approver_missing");

            var seats = votes.Count(v => v.Status is not (VoteStatus.Expired or VoteStatus.Reassigned or VoteStatus.Skipped));
            if (seats == 0) return (StageOutcome.Rejected, "no_live_approvers");
            var needed = mode switch
            {
                QuorumMode.All => seats,
                QuorumMode.Percentage => (int)Math.Ceiling((modeValue ?? 100) * (decimal)seats / 100),
                _ => modeValue ?? 1,
            };
            needed = Math.Max(needed, 1);

            bool Approves(IReadOnlyList<Vote> state) =>
                state.Count(v => v.Status == VoteStatus.Approved) >= needed
                && slots.All(s => state.Any(v => v.RequiredSlot == s.Key && v.Status == VoteStatus.Approved));

            if (Approves(votes)) return (StageOutcome.Approved, null);
            // Every future: each open task approved or abstained (a reject would veto, so it never helps).
            for (var future = 0; future < 1 << live.Count; future++)
            {
                var state = votes.Select(v => live.IndexOf(v) is var i and >= 0
                    ? v with { Status = (future & (1 << i)) != 0 ? VoteStatus.Approved : VoteStatus.Abstained } : v).ToList();
                if (Approves(state)) return (StageOutcome.Open, null);
            }
            return (StageOutcome.Rejected, "quorum_unreachable");
        }
    }
}
