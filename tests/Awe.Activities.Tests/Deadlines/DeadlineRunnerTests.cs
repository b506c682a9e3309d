using Awe.Activities.Deadlines;
using Awe.Activities.Model;
using Awe.Activities.Runtime;
using Awe.Activities.Tests.Runtime;
using TaskStatus = Awe.Activities.Model.TaskStatus;

namespace Awe.Activities.Tests.Deadlines;

/// <summary>The runner's deadline rules on a clock the test moves: timers armed, made moot, fired once.</summary>
public sealed class DeadlineRunnerTests
{
    private static ApprovalPolicy OneStage(string sla, string? onBreach, params string[] users)
    {
        var stage = Build.Stage(1, users.Select(u => Build.User(u)).ToArray()).Mode("any-n", 1);
        stage.Sla = sla;
        stage.OnBreach = onBreach;
        return Build.Policy(stage);
    }

    [Fact]
    public async Task A_stage_deadline_arms_one_timer_that_fires_only_when_due_and_only_once()
    {
        var engine = new Engine();
        var instance = await engine.StartAsync(OneStage("PT1H", "notify", "u-a", "u-b"));
        var timer = Assert.Single(instance.NewTimers);
        Assert.Equal((TimerKind.SlaBreach, "stage-1", engine.Now.AddHours(1)), (timer.Kind, timer.NodeId, timer.DueAt));
        Assert.All(instance.Request.Tasks, t => Assert.Equal(timer.DueAt, t.DueAt));

        engine.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(TimerOutcome.NotDue, await engine.Runner.FireTimerAsync(instance, timer.Id, CancellationToken.None));
        Assert.Equal(TimerState.Pending, timer.State);

        engine.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("notify", await engine.Runner.FireTimerAsync(instance, timer.Id, CancellationToken.None));
        Assert.Equal((TimerState.Fired, engine.Now), (timer.State, timer.FiredAt));
        Assert.All(instance.Request.Tasks, t => Assert.Equal(TaskStatus.Expired, t.Status));
        Assert.Equal(RequestStatus.Rejected, instance.Request.Status);
        Assert.Equal(TimerOutcome.Moot, await engine.Runner.FireTimerAsync(instance, timer.Id, CancellationToken.None));
        Assert.DoesNotContain(instance.Timers, t => t.State == TimerState.Pending);
    }

    [Fact]
    public async Task A_decision_cancels_the_deadline_in_the_same_run()
    {
        var engine = new Engine();
        var instance = await engine.StartAsync(OneStage("PT1H", "auto_reject", "u-a"));
        var timer = Assert.Single(instance.Timers);
        instance = Persisted(instance);
        await engine.Runner.DecideAsync(instance, Engine.LiveTask(instance, "u-a").Id, DecisionAction.Approve, "u-a", null, null, CancellationToken.None);
        Assert.Equal(TimerState.Cancelled, timer.State);
        engine.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(TimerOutcome.Moot, await engine.Runner.FireTimerAsync(instance, timer.Id, CancellationToken.None));
        Assert.Equal(RequestStatus.Approved, instance.Request.Status);
    }

    /// <summary>The instance as the next transaction loads it: the same request, its pending timers, nothing new.</summary>
    private static ApprovalInstance Persisted(ApprovalInstance instance)
    {
        var next = Engine.Reload(instance);
        next.Timers.AddRange(instance.Timers.Where(t => t.State == TimerState.Pending));
        return next;
    }

    [Fact]
    public async Task Auto_approve_votes_for_the_open_tasks_and_the_stage_is_approved()
    {
        var engine = new Engine();
        var policy = OneStage("PT5S", "auto_approve", "u-a", "u-b");
        policy.Stages[0].Mode = "all";
        var instance = await engine.StartAsync(policy);
        engine.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("auto_approve", await engine.Runner.FireTimerAsync(instance, instance.Timers[0].Id, CancellationToken.None));
        Assert.Equal(RequestStatus.Approved, instance.Request.Status);
        Assert.All(instance.Request.Decisions, d => Assert.Equal((ApprovalRunner.SlaActor, DecisionAction.Approve), (d.Actor, d.Action)));
        Assert.Equal(2, instance.Request.Decisions.Count);
    }

    [Fact]
    public async Task A_calendar_deadline_counts_working_time_only()
    {
        var (calendar, _) = BusinessCalendar.Create("office", "UTC", ["mon", "tue", "wed", "thu", "fri"], "09:00", "17:00", []);
        var engine = new Engine();
        engine.Clock.Now = new DateTimeOffset(2026, 11, 27, 15, 0, 0, TimeSpan.Zero); // Friday 15:00
        var policy = OneStage("PT8H", null, "u-a");
        policy.Calendar = "office";
        var runner = new ApprovalRunner(engine.Resolver, engine.Delegations, engine.Clock,
            new RunnerSettings([10], Calendars: new Dictionary<string, BusinessCalendar> { ["office"] = calendar! }));
        var instance = engine.NewInstance(policy);
        await runner.StartAsync(instance, "svc-loans", CancellationToken.None);
        Assert.Equal(new DateTime(2026, 11, 30, 15, 0, 0, DateTimeKind.Utc), Assert.Single(instance.Request.Tasks).DueAt);
    }

    [Fact]
    public async Task Request_expiry_closes_everything_and_is_terminal()
    {
        var engine = new Engine();
        var instance = engine.NewInstance(OneStage("PT1H", null, "u-a"));
        instance.Request.ExpiresAt = engine.Now.AddMinutes(10);
        await engine.Runner.StartAsync(instance, "svc-loans", CancellationToken.None);
        var expiry = Assert.Single(instance.Timers, t => t.Kind == TimerKind.RequestExpiry);
        engine.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(TimerOutcome.Expired, await engine.Runner.FireTimerAsync(instance, expiry.Id, CancellationToken.None));
        Assert.Equal(RequestStatus.Expired, instance.Request.Status);
        Assert.All(instance.Request.Tasks, t => Assert.Equal(TaskStatus.Skipped, t.Status));
        Assert.DoesNotContain(instance.Timers, t => t.State == TimerState.Pending); // the stage deadline went with it
        await Assert.ThrowsAsync<WorkflowStateException>(() =>
            engine.Runner.DecideAsync(instance, instance.Request.Tasks[0].Id, DecisionAction.Approve, "u-a", null, null, CancellationToken.None));
    }
}
