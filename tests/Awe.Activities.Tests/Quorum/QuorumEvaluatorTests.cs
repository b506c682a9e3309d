using Awe.Activities.Quorum;
using Mode = Awe.Activities.Quorum.QuorumMode;

namespace Awe.Activities.Tests.Quorum;

public class QuorumEvaluatorTests
{
    // One row of the decision table. ExpectedDetail is only compared when given.
    public sealed record Scenario(
        string Name, Mode Mode, int? ModeValue, Vote[] Votes,
        StageOutcome Expected, string? ExpectedReason = null, string? ExpectedDetail = null);

    // ---- vote builders: keep the table rows short ----
    private static Vote V(string who, VoteStatus status) => new($"t-{who}-{status}", who, status);
    private static Vote Open(string who) => V(who, VoteStatus.Open);
    private static Vote Claimed(string who) => V(who, VoteStatus.Claimed);
    private static Vote Approved(string who) => V(who, VoteStatus.Approved);
    private static Vote Rejected(string who) => V(who, VoteStatus.Rejected);
    private static Vote Abstained(string who) => V(who, VoteStatus.Abstained);
    private static Vote Expired(string who) => V(who, VoteStatus.Expired);
    private static Vote Reassigned(string who) => V(who, VoteStatus.Reassigned);
    private static Vote Skipped(string who) => V(who, VoteStatus.Skipped);
    /// <summary>Marks a task as belonging to a required slot (defaults to the task's own assignee).</summary>
    private static Vote Req(Vote v, string? slot = null) => v with { RequiredSlot = slot ?? v.Assignee };
    private static Vote Obs(Vote v) => v with { IsObserver = true };

    private const StageOutcome IsOpen = StageOutcome.Open;
    private const StageOutcome IsApproved = StageOutcome.Approved;
    private const StageOutcome IsRejected = StageOutcome.Rejected;
    private const string Vetoed = "vetoed";
    private const string Unreachable = "quorum_unreachable";
    private const string RequiredMissing = "required_approver_missing";
    private const string NoLive = "no_live_approvers";

    public static readonly Scenario[] Table =
    [
        // ---- veto ----
        new("all: one reject among approvals → Rejected vetoed", Mode.All, null,
            [Approved("u-ann"), Rejected("u-bob"), Approved("u-cy")], IsRejected, Vetoed, "u-bob rejected"),
        new("any-n 1 already met, but a reject → vetoed (veto first)", Mode.AnyN, 1,
            [Approved("u-ann"), Rejected("u-bob")], IsRejected, Vetoed),
        new("percentage 50 met, but a reject → vetoed", Mode.Percentage, 50,
            [Approved("u-ann"), Approved("u-bob"), Rejected("u-cy"), Open("u-dan")], IsRejected, Vetoed),
        new("quorum 2: two rejects → vetoed, detail names both", Mode.Quorum, 2,
            [Rejected("u-ann"), Open("u-bob"), Rejected("u-cy")], IsRejected, Vetoed, "u-ann, u-cy rejected"),
        new("reject is the only vote → vetoed, not no_live_approvers", Mode.All, null,
            [Rejected("u-bob")], IsRejected, Vetoed),
        new("required user rejects → vetoed, not required_approver_missing", Mode.AnyN, 1,
            [Approved("u-ann"), Req(Rejected("u-carol"))], IsRejected, Vetoed, "u-carol rejected"),
        new("veto beats an expired required slot", Mode.All, null,
            [Req(Expired("u-carol")), Rejected("u-bob")], IsRejected, Vetoed),

        // ---- observers ----
        new("observer reject never vetoes", Mode.All, null,
            [Approved("u-ann"), Obs(Rejected("u-obs"))], IsApproved),
        new("observer reject with approver still open → Open", Mode.AnyN, 1,
            [Open("u-ann"), Obs(Rejected("u-obs"))], IsOpen),
        new("all: open observer task does not block approval", Mode.All, null,
            [Approved("u-ann"), Approved("u-bob"), Obs(Open("u-obs"))], IsApproved),
        new("any-n 2: observer approval does not count → Open", Mode.AnyN, 2,
            [Approved("u-ann"), Open("u-bob"), Obs(Approved("u-obs"))], IsOpen),
        new("observer abstention does not make all unreachable", Mode.All, null,
            [Approved("u-ann"), Obs(Abstained("u-obs"))], IsApproved),
        new("only observers → no_live_approvers", Mode.All, null,
            [Obs(Approved("u-obs")), Obs(Open("u-obs2"))], IsRejected, NoLive),
        new("observer task carrying a required slot is ignored", Mode.AnyN, 1,
            [Approved("u-ann"), Obs(Req(Expired("u-carol")))], IsApproved),

        // ---- all ----
        new("all: 3 seats all approved → Approved", Mode.All, null,
            [Approved("u-ann"), Approved("u-bob"), Approved("u-cy")], IsApproved),
        new("all: single approver approved → Approved", Mode.All, null,
            [Approved("u-ann")], IsApproved),
        new("all: nothing decided yet → Open", Mode.All, null,
            [Open("u-ann"), Open("u-bob")], IsOpen),
        new("all: 2 of 3 approved, one open → Open", Mode.All, null,
            [Approved("u-ann"), Approved("u-bob"), Open("u-cy")], IsOpen),
        new("all: claimed task is live → Open", Mode.All, null,
            [Approved("u-ann"), Claimed("u-bob")], IsOpen),
        new("all: modeValue is ignored (seats decide)", Mode.All, 1,
            [Approved("u-ann"), Open("u-bob")], IsOpen),
        new("all: 3 seats, one reassigned (successor open), two approved → Open", Mode.All, null,
            [Approved("u-ann"), Approved("u-bob"), Reassigned("u-cy"), Open("u-dan")], IsOpen),
        new("all: reassigned task's successor approved → Approved", Mode.All, null,
            [Approved("u-ann"), Approved("u-bob"), Reassigned("u-cy"), Approved("u-dan")], IsApproved),
        new("all: reassigned without successor does not stall → Approved", Mode.All, null,
            [Approved("u-ann"), Reassigned("u-cy")], IsApproved),
        new("all: expired task is not a seat, rest approved → Approved", Mode.All, null,
            [Approved("u-ann"), Expired("u-bob"), Approved("u-cy")], IsApproved),
        new("all: skipped task is not a seat → Approved", Mode.All, null,
            [Skipped("u-ann"), Approved("u-bob")], IsApproved),
        new("all: one abstain with others open → Rejected quorum_unreachable at once", Mode.All, null,
            [Approved("u-ann"), Abstained("u-bob"), Open("u-cy")], IsRejected, Unreachable,
            "3 approvals needed, at most 2 still possible"),
        new("all: abstain, everyone else approved → quorum_unreachable", Mode.All, null,
            [Approved("u-ann"), Approved("u-bob"), Abstained("u-cy")], IsRejected, Unreachable),
        new("all: no votes → Rejected no_live_approvers (never vacuous)", Mode.All, null,
            [], IsRejected, NoLive, "stage has no approver tasks"),
        new("all: every task expired → no_live_approvers", Mode.All, null,
            [Expired("u-ann"), Expired("u-bob")], IsRejected, NoLive),
        new("all: only reassigned and skipped tasks → no_live_approvers", Mode.All, null,
            [Reassigned("u-ann"), Skipped("u-bob")], IsRejected, NoLive),

        // ---- any-n ----
        new("any-n 2 of 3, one approve, one abstain, one open → Open", Mode.AnyN, 2,
            [Approved("u-ann"), Abstained("u-bob"), Open("u-cy")], IsOpen),
        new("any-n 2 of 3, two approve, third open → Approved", Mode.AnyN, 2,
            [Approved("u-ann"), Approved("u-bob"), Open("u-cy")], IsApproved),
        new("any-n 2 of 3, one approve, two abstain → quorum_unreachable", Mode.AnyN, 2,
            [Approved("u-ann"), Abstained("u-bob"), Abstained("u-cy")], IsRejected, Unreachable,
            "2 approvals needed, at most 1 still possible"),
        new("any-n default 1: first approve → Approved", Mode.AnyN, null,
            [Approved("u-ann"), Open("u-bob"), Open("u-cy")], IsApproved),
        new("any-n default 1: nothing decided → Open", Mode.AnyN, null,
            [Open("u-ann"), Claimed("u-bob")], IsOpen),
        new("any-n 1: everyone abstained → quorum_unreachable", Mode.AnyN, 1,
            [Abstained("u-ann"), Abstained("u-bob")], IsRejected, Unreachable,
            "1 approval needed, at most 0 still possible"),
        new("any-n 3 but only 2 seats → quorum_unreachable at once", Mode.AnyN, 3,
            [Open("u-ann"), Open("u-bob")], IsRejected, Unreachable),
        new("any-n 2: expired tasks remove capacity → quorum_unreachable", Mode.AnyN, 2,
            [Approved("u-ann"), Expired("u-bob"), Expired("u-cy")], IsRejected, Unreachable),
        new("any-n 2: expired task with one still open → Open", Mode.AnyN, 2,
            [Approved("u-ann"), Expired("u-bob"), Open("u-cy")], IsOpen),
        new("any-n 0 counts as 1: nothing decided → Open", Mode.AnyN, 0,
            [Open("u-ann")], IsOpen),
        new("any-n 0 counts as 1: one approve → Approved", Mode.AnyN, 0,
            [Approved("u-ann"), Open("u-bob")], IsApproved),

        // ---- quorum ----
        new("quorum 2 of 3: two approved → Approved", Mode.Quorum, 2,
            [Approved("u-ann"), Open("u-bob"), Approved("u-cy")], IsApproved),
        new("quorum 2 of 3: one approved, one claimed → Open", Mode.Quorum, 2,
            [Approved("u-ann"), Claimed("u-bob"), Abstained("u-cy")], IsOpen),
        new("quorum 2 of 4: one approved, one open, two expired → Open", Mode.Quorum, 2,
            [Approved("u-ann"), Open("u-bob"), Expired("u-cy"), Expired("u-dan")], IsOpen),
        new("quorum 3: reassigned task's open successor keeps it reachable → Open", Mode.Quorum, 3,
            [Approved("u-ann"), Approved("u-bob"), Reassigned("u-cy"), Open("u-dan")], IsOpen),
        new("quorum 3: reassigned without successor → quorum_unreachable", Mode.Quorum, 3,
            [Approved("u-ann"), Approved("u-bob"), Reassigned("u-cy")], IsRejected, Unreachable),
        new("quorum without value defaults to 1 → Approved", Mode.Quorum, null,
            [Approved("u-ann"), Open("u-bob")], IsApproved),
        new("quorum 2: abstain plus two open still reachable → Open", Mode.Quorum, 2,
            [Abstained("u-ann"), Open("u-bob"), Open("u-cy")], IsOpen),

        // ---- percentage ----
        new("percentage 50 of 2 → 1 approve suffices", Mode.Percentage, 50,
            [Approved("u-ann"), Open("u-bob")], IsApproved),
        new("percentage 50 of 3 → 2 needed, 1 approve → Open", Mode.Percentage, 50,
            [Approved("u-ann"), Open("u-bob"), Open("u-cy")], IsOpen),
        new("percentage 50 of 3 → 2 approves → Approved", Mode.Percentage, 50,
            [Approved("u-ann"), Approved("u-bob"), Open("u-cy")], IsApproved),
        new("percentage 100 with abstain → Rejected quorum_unreachable", Mode.Percentage, 100,
            [Approved("u-ann"), Abstained("u-bob"), Open("u-cy")], IsRejected, Unreachable),
        new("percentage default (100): all approved → Approved", Mode.Percentage, null,
            [Approved("u-ann"), Approved("u-bob")], IsApproved),
        new("percentage default (100): one open → Open", Mode.Percentage, null,
            [Approved("u-ann"), Open("u-bob")], IsOpen),
        new("percentage 70 of 10 → 7 approvals suffice (no float rounding)", Mode.Percentage, 70,
            [.. Enumerable.Range(1, 7).Select(i => Approved($"u-{i}")), Open("u-8"), Open("u-9"), Open("u-10")], IsApproved),
        new("percentage 7 of 100 → 7 approvals suffice (0.07*100 float trap)", Mode.Percentage, 7,
            [.. Enumerable.Range(1, 7).Select(i => Approved($"u-{i}")), .. Enumerable.Range(8, 93).Select(i => Open($"u-{i}"))], IsApproved),
        new("percentage 60 of 5, one approve, three abstain → quorum_unreachable", Mode.Percentage, 60,
            [Approved("u-ann"), Abstained("u-bob"), Abstained("u-cy"), Abstained("u-dan"), Open("u-eve")],
            IsRejected, Unreachable, "3 approvals needed, at most 2 still possible"),
        new("percentage 60 of 5, two abstain → 3 needed of 3 remaining → Open", Mode.Percentage, 60,
            [Abstained("u-ann"), Abstained("u-bob"), Open("u-cy"), Open("u-dan"), Claimed("u-eve")], IsOpen),
        new("percentage 1 of 3 → still at least 1, nothing approved → Open", Mode.Percentage, 1,
            [Open("u-ann"), Open("u-bob"), Open("u-cy")], IsOpen),
        new("percentage 0 → still needs 1 approval → Approved after first", Mode.Percentage, 0,
            [Approved("u-ann"), Open("u-bob")], IsApproved),
        new("percentage 50: expired tasks are not seats (1 of 2 seats) → Approved", Mode.Percentage, 50,
            [Approved("u-ann"), Expired("u-bob"), Expired("u-cy"), Open("u-dan")], IsApproved),
        new("percentage 50: everything expired → no_live_approvers", Mode.Percentage, 50,
            [Expired("u-ann"), Expired("u-bob")], IsRejected, NoLive),

        // ---- required approvers ----
        new("required user expired, quorum met → Rejected required_approver_missing", Mode.AnyN, 1,
            [Approved("u-ann"), Req(Expired("u-carol"))], IsRejected, RequiredMissing,
            "required approver u-carol did not approve (task expired)"),
        new("required slot reassigned, successor approved → Approved", Mode.AnyN, 1,
            [Req(Reassigned("u-carol")), Req(Approved("u-dave"), "u-carol")], IsApproved),
        new("quorum met but required still open → Open", Mode.AnyN, 1,
            [Approved("u-ann"), Req(Open("u-carol"))], IsOpen, null,
            "quorum met, waiting for required approver u-carol"),
        new("quorum met, required slot reassigned with open successor → Open", Mode.Quorum, 2,
            [Approved("u-ann"), Approved("u-bob"), Req(Reassigned("u-carol")), Req(Claimed("u-dave"), "u-carol")], IsOpen),
        new("required slot reassigned, successor expired → required_approver_missing", Mode.Quorum, 1,
            [Approved("u-ann"), Req(Reassigned("u-carol")), Req(Expired("u-dave"), "u-carol")], IsRejected, RequiredMissing,
            "required approver u-carol did not approve (tasks reassigned, expired)"),
        new("required slot reassigned without successor → required_approver_missing", Mode.AnyN, 1,
            [Approved("u-ann"), Req(Reassigned("u-carol"))], IsRejected, RequiredMissing,
            "required approver u-carol did not approve (task reassigned)"),
        new("required user abstained → required_approver_missing", Mode.AnyN, 1,
            [Approved("u-ann"), Req(Abstained("u-carol"))], IsRejected, RequiredMissing,
            "required approver u-carol did not approve (task abstained)"),
        new("required user skipped → required_approver_missing", Mode.Percentage, 50,
            [Approved("u-ann"), Approved("u-bob"), Req(Skipped("u-carol"))], IsRejected, RequiredMissing),
        new("required delegate task approved while original expired → Approved", Mode.All, null,
            [Approved("u-ann"), Req(Expired("u-carol")), Req(Approved("u-delegate"), "u-carol")], IsApproved),
        new("required approved but quorum not met → Open", Mode.AnyN, 2,
            [Req(Approved("u-carol")), Open("u-ann"), Open("u-bob")], IsOpen),
        new("required approved, but quorum unreachable → quorum_unreachable", Mode.AnyN, 2,
            [Req(Approved("u-carol")), Abstained("u-ann")], IsRejected, Unreachable),
        new("two required slots, one approved, one open, quorum met → Open", Mode.AnyN, 1,
            [Req(Approved("u-carol")), Req(Open("u-dave"))], IsOpen),
        new("all: two required slots both approved → Approved", Mode.All, null,
            [Req(Approved("u-carol")), Req(Approved("u-dave")), Approved("u-ann")], IsApproved),
        new("required missing is reported before quorum math (quorum still reachable)", Mode.All, null,
            [Open("u-ann"), Open("u-bob"), Req(Expired("u-carol"))], IsRejected, RequiredMissing),
        new("required missing beats quorum_unreachable", Mode.All, null,
            [Abstained("u-ann"), Req(Expired("u-carol"))], IsRejected, RequiredMissing),
        new("required missing beats no_live_approvers", Mode.All, null,
            [Req(Expired("u-carol"))], IsRejected, RequiredMissing),
        new("required open slot alone, all mode → Open", Mode.All, null,
            [Req(Open("u-carol"))], IsOpen),
    ];

    private static readonly Dictionary<string, Scenario> ByName = Table.ToDictionary(s => s.Name);

    // Rows are passed by name so xunit can discover and display each scenario as its own test case.
    public static TheoryData<string> ScenarioNames => new(Table.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Evaluate_follows_decision_table(string scenario)
    {
        var row = ByName[scenario];

        var verdict = QuorumEvaluator.Evaluate(row.Mode, row.ModeValue, row.Votes);

        Assert.Equal(row.Expected, verdict.Outcome);
        Assert.Equal(row.ExpectedReason, verdict.Reason);
        if (row.ExpectedDetail is not null)
            Assert.Equal(row.ExpectedDetail, verdict.Detail);
    }

    [Fact]
    public void Rejections_always_carry_a_detail_sentence()
    {
        foreach (var row in Table.Where(r => r.Expected == IsRejected))
            Assert.False(string.IsNullOrWhiteSpace(QuorumEvaluator.Evaluate(row.Mode, row.ModeValue, row.Votes).Detail), row.Name);
    }

    [Fact]
    public void Verdict_does_not_depend_on_vote_order()
    {
        foreach (var row in Table)
        {
            var forward = QuorumEvaluator.Evaluate(row.Mode, row.ModeValue, row.Votes);
            var backward = QuorumEvaluator.Evaluate(row.Mode, row.ModeValue, row.Votes.Reverse().ToArray());
            Assert.True(forward.Outcome == backward.Outcome && forward.Reason == backward.Reason, row.Name);
        }
    }

    [Fact]
    public void Evaluate_rejects_null_vote_list() =>
        Assert.Throws<ArgumentNullException>(() => QuorumEvaluator.Evaluate(Mode.All, null, null!));

    [Theory]
    [InlineData(Mode.All, null, 3, 3)]
    [InlineData(Mode.All, 5, 3, 3)]           // modeValue ignored for all
    [InlineData(Mode.All, null, 1, 1)]
    [InlineData(Mode.All, null, 0, 1)]        // never 0 approvals
    [InlineData(Mode.AnyN, null, 5, 1)]
    [InlineData(Mode.AnyN, 2, 5, 2)]
    [InlineData(Mode.AnyN, 7, 3, 7)]          // not capped at seats: unreachable is the evaluator's call
    [InlineData(Mode.AnyN, 0, 3, 1)]
    [InlineData(Mode.AnyN, -2, 3, 1)]
    [InlineData(Mode.Quorum, null, 4, 1)]
    [InlineData(Mode.Quorum, 3, 4, 3)]
    [InlineData(Mode.Quorum, 3, 0, 3)]
    [InlineData(Mode.Percentage, null, 4, 4)] // default 100 %
    [InlineData(Mode.Percentage, 50, 2, 1)]
    [InlineData(Mode.Percentage, 50, 3, 2)]
    [InlineData(Mode.Percentage, 33, 3, 1)]
    [InlineData(Mode.Percentage, 34, 3, 2)]
    [InlineData(Mode.Percentage, 70, 10, 7)]
    [InlineData(Mode.Percentage, 7, 100, 7)]  // 0.07 * 100 is 7.000000000000001 in floating point
    [InlineData(Mode.Percentage, 1, 3, 1)]
    [InlineData(Mode.Percentage, 0, 3, 1)]
    [InlineData(Mode.Percentage, 100, 0, 1)]
    [InlineData(Mode.Percentage, -50, 4, 1)]
    [InlineData(Mode.Percentage, 150, 2, 3)]  // more than all seats: evaluator reports unreachable
    [InlineData(Mode.Percentage, int.MaxValue, int.MaxValue, int.MaxValue)] // no overflow
    public void RequiredApprovals_per_mode(Mode mode, int? modeValue, int seats, int expected) =>
        Assert.Equal(expected, QuorumEvaluator.RequiredApprovals(mode, modeValue, seats));

    [Fact]
    public void RequiredApprovals_rejects_negative_seats() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => QuorumEvaluator.RequiredApprovals(Mode.All, null, -1));

    [Fact]
    public void RequiredApprovals_rejects_undefined_mode() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => QuorumEvaluator.RequiredApprovals((Mode)42, null, 1));

    [Theory]
    [InlineData("all", Mode.All)]
    [InlineData("ALL", Mode.All)]
    [InlineData("any-n", Mode.AnyN)]
    [InlineData("any-N", Mode.AnyN)]
    [InlineData("ANY-N", Mode.AnyN)]
    [InlineData("quorum", Mode.Quorum)]
    [InlineData("Quorum", Mode.Quorum)]
    [InlineData("percentage", Mode.Percentage)]
    [InlineData("PERCENTAGE", Mode.Percentage)]
    public void ParseMode_accepts_known_modes_case_insensitively(string text, Mode expected) =>
        Assert.Equal(expected, QuorumEvaluator.ParseMode(text));

    [Theory]
    [InlineData("quorum:2")]
    [InlineData("")]
    [InlineData(" all")]
    [InlineData("any_n")]
    [InlineData("anyn")]
    [InlineData("AnyN")]
    [InlineData("any-2")]
    [InlineData("percent")]
    [InlineData("majority")]
    public void ParseMode_rejects_unknown_text(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => QuorumEvaluator.ParseMode(text));
        Assert.Equal("mode", ex.ParamName);
    }

    [Fact]
    public void ParseMode_rejects_null() =>
        Assert.Throws<ArgumentNullException>(() => QuorumEvaluator.ParseMode(null!));
}
