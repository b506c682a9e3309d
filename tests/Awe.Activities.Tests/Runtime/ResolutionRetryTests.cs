using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Policies;
using Awe.Activities.Resolution;
using Awe.Activities.Runtime;

namespace Awe.Activities.Tests.Runtime;

/// <summary>A stage whose approvers cannot be resolved when a decision starts it waits and is retried; the decision stands.</summary>
public sealed class ResolutionRetryTests
{
    private sealed class ManualClock(DateTime start) : TimeProvider
    {
        public DateTime Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => new(Now, TimeSpan.Zero);
    }

    /// <summary>Role rules fail while <see cref="Down"/> is true; otherwise the role resolves to its members.</summary>
    private sealed class SwitchableDirectory : IDirectoryResolver
    {
        public bool Down { get; set; }
        public int Calls { get; private set; }
        public Task<IReadOnlyList<string>> ResolveAsync(RuleSpec rule, ResolutionInput input, CancellationToken ct)
        {
            Calls++;
            if (Down) throw new ApproverResolutionException("Keycloak did not answer within 5 s");
            return Task.FromResult<IReadOnlyList<string>>(["u-manager-1", "u-manager-2"]);
        }
    }

    private sealed class NoDelegations : IDelegationLookup
    {
        public Task<IReadOnlyDictionary<string, string>> ActiveDelegatesAsync(IReadOnlyCollection<string> userIds, DateTime at, CancellationToken ct) =>
            Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
    }

    private static readonly DateTime T0 = new(2026, 3, 1, 9, 0, 0, DateTimeKind.Utc);

    private static (ApprovalRunner Runner, ApprovalInstance Instance, SwitchableDirectory Directory, ManualClock Clock) Setup()
    {
        var document = JsonNode.Parse("""
            {"policy_key": "two.stage", "name": "Two stages", "artifact_type": "doc",
             "stages": [
               {"name": "Clerk", "stage_order": 1, "mode": "any-n", "mode_value": 1,
                "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-clerk"}}]},
               {"name": "Managers", "stage_order": 2, "mode": "any-n", "mode_value": 1,
                "rules": [{"rule_type": "role", "rule_value": {"role": "MANAGER"}}]}]}
            """);
        var (input, problems) = PolicyReader.Read(document);
        Assert.Empty(problems);
        var policy = new ApprovalPolicy { PolicyKey = "two.stage", Version = 1 };
        PolicyMapping.Apply(policy, input!, T0);
        var definition = WorkflowCompiler.Compile(policy, T0);
        var clock = new ManualClock(T0);
        var directory = new SwitchableDirectory();
        var runner = new ApprovalRunner(new RuleResolver(directory), new NoDelegations(), clock, new RunnerSettings([10, 60]));
        var request = new ApprovalRequest { PolicyId = policy.Id, PolicyKey = "two.stage", PolicyVersion = 1, ArtifactType = "doc", ArtifactId = "d-1" };
        return (runner, new ApprovalInstance(request, definition), directory, clock);
    }

    [Fact]
    public async Task Failed_resolution_after_a_decision_keeps_the_decision_and_retries_with_backoff_until_tasks_appear()
    {
        var (runner, instance, directory, clock) = Setup();
        await runner.StartAsync(instance, "svc-loans", CancellationToken.None);
        var clerkTask = Assert.Single(instance.Request.Tasks);

        directory.Down = true;
        await runner.DecideAsync(instance, clerkTask.Id, DecisionAction.Approve, "u-clerk", null, null, CancellationToken.None);

        Assert.Single(instance.NewDecisions);
        Assert.Equal(RequestStatus.InReview, instance.Request.Status);
        Assert.Equal(2, instance.Request.CurrentStageOrder);
        Assert.Equal(NodeStates.Active, instance.State.NodeState("stage-2"));
        var failure = instance.NewEvents.Last();
        Assert.Equal(EventType.StageResolutionFailed, failure.EventType);
        Assert.Equal(1, (int)failure.Payload["attempt"]!);
        Assert.Contains("Keycloak did not answer", (string)failure.Payload["reason"]!);
        Assert.Equal(T0.AddSeconds(10), instance.Request.ResolutionRetryAt);
        var bookmark = Assert.Single(instance.State.Bookmarks);
        Assert.Equal(BookmarkKind.ResolutionRetry, bookmark.Kind);

        // Not due yet: nothing is attempted.
        var calls = directory.Calls;
        await runner.RetryResolutionAsync(instance, CancellationToken.None);
        Assert.Equal(calls, directory.Calls);

        // Due, still down: the next wait is the second backoff entry.
        clock.Now = T0.AddSeconds(10);
        await runner.RetryResolutionAsync(instance, CancellationToken.None);
        Assert.Equal(2, (int)instance.NewEvents.Last().Payload["attempt"]!);
        Assert.Equal(T0.AddSeconds(70), instance.Request.ResolutionRetryAt);

        // Directory back: the stage opens its tasks and no retry remains.
        directory.Down = false;
        clock.Now = T0.AddSeconds(70);
        await runner.RetryResolutionAsync(instance, CancellationToken.None);
        Assert.Null(instance.Request.ResolutionRetryAt);
        Assert.Empty(instance.State.ResolutionRetries);
        Assert.Equal(["u-manager-1", "u-manager-2"], instance.Request.Tasks.Where(t => t.StageOrder == 2).Select(t => t.Assignee).Order());
        Assert.Equal(EventType.StageStarted, instance.NewEvents.Last().EventType);
        Assert.All(instance.State.Bookmarks, b => Assert.Equal(BookmarkKind.TaskDecision, b.Kind));
    }

    [Fact]
    public async Task Failed_resolution_at_creation_propagates_so_the_caller_writes_nothing()
    {
        var (runner, _, directory, _) = Setup();
        directory.Down = true;
        var roleFirst = JsonNode.Parse("""
            {"policy_key": "role.first", "name": "Role first", "artifact_type": "doc",
             "stages": [{"name": "Managers", "stage_order": 1, "mode": "all",
                         "rules": [{"rule_type": "role", "rule_value": {"role": "MANAGER"}}]}]}
            """);
        var (input, _) = PolicyReader.Read(roleFirst);
        var policy = new ApprovalPolicy { PolicyKey = "role.first", Version = 1 };
        PolicyMapping.Apply(policy, input!, T0);
        var request = new ApprovalRequest { PolicyId = policy.Id, PolicyKey = "role.first", PolicyVersion = 1, ArtifactType = "doc", ArtifactId = "d-2" };
        var created = new ApprovalInstance(request, WorkflowCompiler.Compile(policy, T0));
        await Assert.ThrowsAsync<ApproverResolutionException>(() => runner.StartAsync(created, "svc-loans", CancellationToken.None));
        Assert.Empty(created.NewTasks);
    }

    [Fact]
    public async Task Cancelling_a_request_that_waits_for_resolution_stops_the_retries()
    {
        var (runner, instance, directory, _) = Setup();
        await runner.StartAsync(instance, "svc-loans", CancellationToken.None);
        directory.Down = true;
        await runner.DecideAsync(instance, instance.Request.Tasks[0].Id, DecisionAction.Approve, "u-clerk", null, null, CancellationToken.None);
        Assert.NotNull(instance.Request.ResolutionRetryAt);

        await runner.CancelAsync(instance, "ops", "directory outage", CancellationToken.None);

        Assert.Equal(RequestStatus.Cancelled, instance.Request.Status);
        Assert.Null(instance.Request.ResolutionRetryAt);
        Assert.Empty(instance.State.Bookmarks);
    }
}
