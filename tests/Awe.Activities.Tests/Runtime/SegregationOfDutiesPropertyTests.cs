using Awe.Activities.Model;
using Awe.Activities.Runtime;
using TaskStatus = Awe.Activities.Model.TaskStatus;
using static Awe.Activities.Tests.Runtime.Build;

namespace Awe.Activities.Tests.Runtime;

/// <summary>
/// Segregation of duties as a property: over thousands of random policies (both flags, parallel groups, required
/// approvers, quorum modes), random requesters and creators spelled in odd ways, random delegations and random
/// sequences of decisions and reassignments by assignees and by admins acting for them, no person ever approves a
/// request they requested or created (forbid_self_approval), nor approves one request twice (forbid_repeat_approvers).
/// Each scenario is reproducible from its seed, which a failure names.
/// </summary>
public sealed class SegregationOfDutiesPropertyTests
{
    private static readonly string[] People = ["u-ann", "u-bob", "u-cy", "u-dee", "u-eve", "u-fay"];
    private static readonly string[] Admins = ["u-adm", "u-ann"];

    [Fact]
    public async Task No_one_approves_their_own_request_nor_approves_twice()
    {
        for (var seed = 1; seed <= 3000; seed++)
        {
            try
            {
                await RunScenario(new Random(seed));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"seed {seed}: {e.Message}\n{e.StackTrace}");
            }
        }
    }

    private static async Task RunScenario(Random rng)
    {
        var e = new Engine();
        var policy = RandomPolicy(rng);
        foreach (var person in People.Where(_ => rng.Next(4) == 0))
            e.Delegations.Active[person] = Spell(rng, Pick(rng, People));
        var requester = Spell(rng, Pick(rng, People));
        var creator = Spell(rng, Pick(rng, People.Concat(["svc-registry"]).ToArray()));

        var instance = e.NewInstance(policy, requester: requester);
        await e.Runner.StartAsync(instance, creator, CancellationToken.None);

        for (var step = 0; step < 12 && !RequestStatus.IsTerminal(instance.Request.Status); step++)
        {
            instance = Engine.Reload(instance);
            var live = instance.Request.Tasks.Where(t => TaskStatus.IsLive(t.Status)).ToList();
            if (live.Count == 0) break;
            var task = Pick(rng, live);
            // Mostly the assignee, sometimes an admin acting for them, in any spelling of their id.
            var actor = Spell(rng, rng.Next(3) == 0 ? Pick(rng, Admins) : task.Assignee);
            try
            {
                if (rng.Next(6) == 0)
                    await e.Runner.ReassignAsync(instance, task.Id, Spell(rng, Pick(rng, People)), actor, null, CancellationToken.None);
                else
                    await e.Runner.DecideAsync(instance, task.Id, rng.Next(5) == 0 ? DecisionAction.Abstain : DecisionAction.Approve,
                        actor, null, null, CancellationToken.None);
            }
            catch (Exception refused) when (refused is SegregationOfDutiesException or WorkflowStateException)
            {
                // A refusal changes nothing; the next step works on a fresh load of the same request.
            }
        }

        CheckInvariants(instance.Request, instance.State, policy);
    }

    private static void CheckInvariants(ApprovalRequest request, InstanceState state, ApprovalPolicy policy)
    {
        var assignees = request.Tasks.ToDictionary(t => t.Id, t => t.Assignee);
        var approvals = request.Decisions.Where(d => d.Action == DecisionAction.Approve)
            .Select(d => new HashSet<string> { UserIds.Canonical(d.Actor), UserIds.Canonical(assignees[d.TaskId]) })
            .ToList();
        if (policy.ForbidSelfApproval)
        {
            var selves = new[] { request.Requester, state.CreatedBy }.Where(s => s is not null).Select(s => UserIds.Canonical(s!)).ToHashSet();
            foreach (var people in approvals)
                Assert.False(people.Overlaps(selves), $"{string.Join("/", people)} approved a request requested or created by {string.Join("/", selves)}");
        }
        if (policy.ForbidRepeatApprovers)
        {
            var counts = approvals.SelectMany(p => p).GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(counts.Count == 0, $"{string.Join(", ", counts)} approved twice");
        }
        // Every stored id is canonical: one person, one spelling.
        foreach (var id in request.Tasks.Select(t => t.Assignee).Concat(request.Decisions.Select(d => d.Actor)))
            Assert.Equal(UserIds.Canonical(id), id);
    }

    private static ApprovalPolicy RandomPolicy(Random rng)
    {
        var stages = new List<ApprovalStage>();
        var count = rng.Next(1, 5);
        int? group = null;
        for (var order = 1; order <= count; order++)
        {
            var rules = People.Where(_ => rng.Next(3) == 0).Select(p => User(Spell(rng, p), required: rng.Next(8) == 0)).ToArray();
            if (rules.Length == 0) rules = [User(Spell(rng, Pick(rng, People)))];
            var stage = Stage(order, rules);
            stage = rng.Next(3) switch
            {
                0 => stage.Mode("all"),
                1 => stage.Mode("any-n", 1),
                _ => stage.Mode("percentage", 50),
            };
            // Consecutive stages may share a parallel group.
            group = rng.Next(2) == 0 ? group ?? order : null;
            stages.Add(stage.Group(group).OnEmpty(rng.Next(2) == 0 ? "skip" : "block"));
        }
        var policy = Policy(stages.ToArray());
        if (rng.Next(4) != 0) policy.ForbidSelf();
        if (rng.Next(4) != 0) policy.ForbidRepeat();
        return policy;
    }

    /// <summary>The same person as another caller might write them: padded, upper-cased or in full-width letters.</summary>
    private static string Spell(Random rng, string id) => rng.Next(5) switch
    {
        0 => $" {id} ",
        1 => id.ToUpperInvariant(),
        2 => string.Concat(id.Select(c => c is >= 'a' and <= 'z' ? (char)(c - 'a' + 'ａ') : c)),
        _ => id,
    };

    private static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];
}
