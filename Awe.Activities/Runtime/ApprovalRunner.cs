using System.Text;
using System.Text.Json.Nodes;
using Awe.Activities.JsonLogic;
using Awe.Activities.Model;
using Awe.Activities.Quorum;
using Awe.Activities.Resolution;
using TaskStatus = Awe.Activities.Model.TaskStatus;

namespace Awe.Activities.Runtime;

/// <summary>
/// Runs approval workflow instances. Every entry point works on a loaded <see cref="ApprovalInstance"/> and
/// runs the flowchart until it suspends (tasks waiting for decisions) or completes; the caller wraps the call
/// in the database transaction of the change that caused it.
/// </summary>
/// <remarks>
/// A call is all-or-nothing only together with that transaction. State checks (<see cref="WorkflowStateException"/>,
/// a bad action) come before any change, so such a refusal leaves the instance untouched. An
/// <see cref="ApproverResolutionException"/> while a request is being created, or a cancellation, leaves the
/// instance half-run: the caller must discard it and roll back, never save it. (A resolution failure in a stage
/// started by a decision does not throw: the stage waits and is retried, see <see cref="RetryResolutionAsync"/>.)
/// </remarks>
public sealed partial class ApprovalRunner(IApproverResolver resolver, IDelegationLookup delegations, TimeProvider clock, RunnerSettings? settings = null)
{
    private readonly RunnerSettings _settings = settings ?? RunnerSettings.Default;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Runs a new request from its start. <paramref name="createdBy"/> is the user id of the caller who created it.</summary>
    public async Task StartAsync(ApprovalInstance instance, string createdBy, CancellationToken ct)
    {
        var request = instance.Request;
        instance.DeferResolutionFailures = false;
        request.Status = RequestStatus.Pending;
        if (request.Requester is { } requester) request.Requester = UserIds.Canonical(requester);
        instance.State.CreatedBy = UserIds.Canonical(createdBy);
        request.SearchText = SearchText(request);
        Emit(instance, EventType.RequestCreated, new JsonObject
        {
            ["policy_key"] = request.PolicyKey,
            ["policy_version"] = request.PolicyVersion,
            ["definition_id"] = instance.Definition.DefinitionId,
            ["requester"] = request.Requester,
            ["created_by"] = instance.State.CreatedBy,
        });
        await RunAsync(instance, [instance.Definition.Node(WorkflowDefinition.StartNodeId)], actor: null, ct);
    }

    public void Claim(ApprovalInstance instance, string taskId)
    {
        EnsureOpen(instance);
        var task = instance.Task(taskId);
        if (task.Status != TaskStatus.Open)
            throw new WorkflowStateException($"task {task.Id} is {task.Status}; only an open task can be claimed");
        task.Status = TaskStatus.Claimed;
        task.ClaimedAt = task.UpdatedAt = Now;
        Touch(instance);
    }

    public async Task<ApprovalDecision> DecideAsync(ApprovalInstance instance, string taskId, string action, string actor,
        string? comment, string? attachmentsRef, CancellationToken ct)
    {
        EnsureOpen(instance);
        instance.DeferResolutionFailures = true;
        var task = instance.Task(taskId);
        if (!TaskStatus.IsLive(task.Status))
            throw new WorkflowStateException($"task {task.Id} is {task.Status}; decisions are accepted only on open or claimed tasks");
        if (!DecisionAction.All.Contains(action))
            throw new ArgumentException($"action must be one of {string.Join(", ", DecisionAction.All)}");
        actor = UserIds.Canonical(actor);
        // Segregation of duties binds the person who decides as well as the person the task belongs to: an admin
        // deciding on someone's behalf may not approve their own request, nor approve a request a second time.
        if (action == DecisionAction.Approve && task.Kind == TaskKind.Approver)
        {
            var sod = SegregationOfDuties.For(instance);
            foreach (var person in new[] { actor, task.Assignee }.Distinct())
                if (sod.Violation(person) is { } rule)
                    throw new SegregationOfDutiesException($"{SegregationOfDuties.Explain(rule, person)}; reject or abstain instead, or leave the task to someone else");
        }

        var decision = RecordDecision(instance, task, actor, action, comment, attachmentsRef, Now);

        // Observers are informed, never counted: their decisions do not move the stage.
        if (task.Kind == TaskKind.Approver)
        {
            await ReevaluateStageAsync(instance, task.StageOrder, actor, ct);
            if (action == DecisionAction.Approve && instance.Definition.ForbidRepeatApprovers)
                await WithdrawSecondVotesAsync(instance, [actor, task.Assignee], ct);
        }
        Touch(instance);
        return decision;
    }

    /// <summary>Completes a task with a decision: the decision is recorded, the task closed and task_decided emitted.</summary>
    private ApprovalDecision RecordDecision(ApprovalInstance instance, ApprovalTask task, string actor, string action,
        string? comment, string? attachmentsRef, DateTime now)
    {
        var decision = new ApprovalDecision
        {
            RequestId = instance.Request.Id, TaskId = task.Id, StageOrder = task.StageOrder, Actor = actor, Action = action,
            Comment = comment, AttachmentsRef = attachmentsRef, CreatedAt = now, UpdatedAt = now,
        };
        instance.Request.Decisions.Add(decision);
        instance.NewDecisions.Add(decision);
        task.Status = TaskStatus.Completed;
        task.CompletedAt = task.UpdatedAt = now;
        task.DecisionId = decision.Id;
        Emit(instance, EventType.TaskDecided, new JsonObject
        {
            ["task_id"] = task.Id, ["decision_id"] = decision.Id, ["assignee"] = task.Assignee, ["kind"] = task.Kind,
            ["action"] = action, ["actor"] = actor, ["comment"] = comment,
        }, task.StageOrder);
        return decision;
    }

    /// <summary>
    /// With forbid_repeat_approvers, a person who has just approved may hold live approver tasks in other stages
    /// of the request (a parallel group): those can no longer be approved, so they stop being seats. Each such
    /// stage is evaluated again, which rejects it at once when the withdrawn task was a required approver's.
    /// </summary>
    private async Task WithdrawSecondVotesAsync(ApprovalInstance instance, IReadOnlyList<string> people, CancellationToken ct)
    {
        var withdrawn = instance.Request.Tasks
            .Where(t => t.Kind == TaskKind.Approver && TaskStatus.IsLive(t.Status) && people.Contains(t.Assignee))
            .ToList();
        foreach (var stageOrder in withdrawn.Select(t => t.StageOrder).Distinct().Order())
        {
            if (RequestStatus.IsTerminal(instance.Request.Status)) return;
            var tasks = withdrawn.Where(t => t.StageOrder == stageOrder && TaskStatus.IsLive(t.Status)).ToList();
            if (tasks.Count == 0) continue;
            CloseLiveTasks(instance, tasks);
            Emit(instance, EventType.TasksWithdrawn, new JsonObject
            {
                ["assignees"] = Strings(tasks.Select(t => t.Assignee)),
                ["task_ids"] = Strings(tasks.Select(t => t.Id)),
                ["reason"] = "forbid_repeat_approvers",
            }, stageOrder);
            await ReevaluateStageAsync(instance, stageOrder, actor: null, ct);
        }
    }

    public Task CancelAsync(ApprovalInstance instance, string actor, string? reason, CancellationToken ct)
    {
        EnsureOpen(instance);
        CloseLiveTasks(instance, instance.Request.Tasks);
        CloseActiveNodes(instance);
        instance.State.ResolutionRetries.Clear();
        Finish(instance, RequestStatus.Cancelled);
        Emit(instance, EventType.RequestCancelled, new JsonObject { ["actor"] = actor, ["reason"] = reason });
        Touch(instance);
        return Task.CompletedTask;
    }

    public Task<ApprovalTask> ReassignAsync(ApprovalInstance instance, string taskId, string newAssignee, string actor,
        string? reason, CancellationToken ct)
    {
        EnsureOpen(instance);
        var task = instance.Task(taskId);
        newAssignee = UserIds.Canonical(newAssignee);
        if (!TaskStatus.IsLive(task.Status))
            throw new WorkflowStateException($"task {task.Id} is {task.Status}; only an open or claimed task can be reassigned");
        if (newAssignee == task.Assignee)
            throw new WorkflowStateException($"task {task.Id} is already assigned to {newAssignee}");
        // A reassignment adds a task, so it counts against the request's bound like a stage does.
        if (instance.Request.Tasks.Count + 1 > _settings.MaxTasksPerRequest)
            throw new WorkflowStateException(
                $"request {instance.Request.Id} already holds {instance.Request.Tasks.Count} tasks, the most a request may have (awe.limits.max_tasks_per_request); decide the task instead");
        // Two live tasks for one person on one stage would give them two votes.
        if (instance.StageTasks(task.StageOrder).Any(t => t.Assignee == newAssignee && TaskStatus.IsLive(t.Status)))
            throw new WorkflowStateException($"{newAssignee} already has an open task on stage {task.StageOrder}");
        // So would handing a vote to someone who already cast one here: they could approve twice and fill an
        // any-n or quorum stage alone. (A task of theirs that expired or was reassigned away was never a vote.)
        if (task.Kind == TaskKind.Approver && instance.StageTasks(task.StageOrder)
                .Any(t => t.Assignee == newAssignee && t.Kind == TaskKind.Approver && t.Status == TaskStatus.Completed))
            throw new WorkflowStateException($"{newAssignee} already decided on stage {task.StageOrder}; one person has one vote per stage");
        // Reassignment must not be a way around the policy's segregation of duties either.
        if (task.Kind == TaskKind.Approver && SegregationOfDuties.For(instance).Violation(newAssignee) is { } rule)
            throw new WorkflowStateException($"{newAssignee} may not approve this request: {SegregationOfDuties.Explain(rule, newAssignee)}");

        var now = Now;
        task.Status = TaskStatus.Reassigned;
        task.CompletedAt = task.UpdatedAt = now;
        var replacement = new ApprovalTask
        {
            RequestId = task.RequestId, StageId = task.StageId, StageOrder = task.StageOrder, Assignee = newAssignee,
            Kind = task.Kind, ReassignedFrom = task.Assignee, RequiredSlot = task.RequiredSlot, Status = TaskStatus.Open,
            DueAt = task.DueAt, CreatedAt = now, UpdatedAt = now,
        };
        AddTask(instance, replacement);
        Emit(instance, EventType.TaskReassigned, new JsonObject
        {
            ["task_id"] = task.Id, ["new_task_id"] = replacement.Id, ["from"] = task.Assignee, ["to"] = newAssignee,
            ["actor"] = actor, ["reason"] = reason,
        }, task.StageOrder);
        Touch(instance);
        return Task.FromResult(replacement);
    }

    /// <summary>Retries the stages whose approver resolution failed and whose retry is due.</summary>
    public async Task RetryResolutionAsync(ApprovalInstance instance, CancellationToken ct)
    {
        EnsureOpen(instance);
        instance.DeferResolutionFailures = true;
        var now = Now;
        var due = instance.State.ResolutionRetries.Where(r => r.Value.NextAttemptAt <= now)
            .Select(r => instance.Definition.Node(r.Key)).ToList();
        if (due.Count == 0) return;
        await RunAsync(instance, due, actor: null, ct);
        Touch(instance);
    }

    // ---- the flowchart walk ------------------------------------------------------------------------------

    private async Task RunAsync(ApprovalInstance instance, IEnumerable<WorkflowNode> start, string? actor, CancellationToken ct)
    {
        var queue = new Queue<WorkflowNode>(start);
        while (queue.Count > 0 && !RequestStatus.IsTerminal(instance.Request.Status))
        {
            var node = queue.Dequeue();
            switch (node.Type)
            {
                case NodeType.Start:
                case NodeType.StageGroup:
                    SetNode(instance, node, NodeStates.Done);
                    var outcome = node.Type == NodeType.Start ? ConnectionOutcome.Done : ConnectionOutcome.Start;
                    foreach (var next in instance.Definition.Targets(node.Id, outcome)) queue.Enqueue(next);
                    break;

                case NodeType.ApprovalStage:
                    string? stageOutcome;
                    try
                    {
                        stageOutcome = await ActivateStageAsync(instance, node, ct);
                        instance.State.ResolutionRetries.Remove(node.Id);
                    }
                    catch (ApproverResolutionException e) when (instance.DeferResolutionFailures)
                    {
                        DeferResolution(instance, node, e.Message);
                        stageOutcome = null;
                    }
                    if (stageOutcome is not null)
                        foreach (var next in instance.Definition.Targets(node.Id, stageOutcome)) queue.Enqueue(next);
                    break;

                case NodeType.Join:
                    if (instance.State.NodeState(node.Id) == NodeStates.Done) break;
                    var sources = instance.Definition.Sources(node.Id).ToList();
                    if (sources.All(s => instance.State.NodeState(s.Id) is NodeStates.Done or NodeStates.Skipped))
                    {
                        SetNode(instance, node, NodeStates.Done);
                        foreach (var next in instance.Definition.Targets(node.Id, ConnectionOutcome.Done)) queue.Enqueue(next);
                    }
                    break;

                case NodeType.Outcome when node.Id == WorkflowDefinition.ApprovedNodeId:
                    SetNode(instance, node, NodeStates.Done);
                    Finish(instance, RequestStatus.Approved);
                    var anyStageRan = instance.Definition.StageNodes.Any(s => instance.State.NodeState(s.Id) == NodeStates.Done);
                    var payload = new JsonObject { ["actor"] = actor };
                    if (!anyStageRan)
                        payload["reason"] = instance.Definition.StageNodes.Any() ? "all_stages_skipped" : "no_stages";
                    Emit(instance, EventType.RequestApproved, payload);
                    break;

                case NodeType.Outcome:
                    // Reaching the rejected outcome is handled where the rejection happens (it carries the reason).
                    SetNode(instance, node, NodeStates.Done);
                    break;
            }
        }
        UpdateCurrentStage(instance);
        SaveState(instance);
    }

    /// <summary>Activates a stage. Returns the outcome to follow now, or null while the stage waits for votes.</summary>
    private async Task<string?> ActivateStageAsync(ApprovalInstance instance, WorkflowNode node, CancellationToken ct)
    {
        var stage = node.Stage!;
        var request = instance.Request;
        using var span = EngineTelemetry.Source.StartActivity(EngineTelemetry.Spans.ActivateStage);
        span?.SetTag("awe.request_id", request.Id).SetTag("awe.stage_order", stage.StageOrder);

        if (stage.SkipIf is not null && SkipIfHolds(stage.SkipIf, request.Context))
        {
            SetNode(instance, node, NodeStates.Skipped);
            Emit(instance, EventType.StageSkipped, new JsonObject { ["reason"] = "skip_if", ["name"] = stage.Name }, stage.StageOrder);
            return ConnectionOutcome.Skipped;
        }

        var plan = await PlanStageAsync(stage, request, SegregationOfDuties.For(instance), ct);
        // A required approver is required: if segregation of duties removes them, the stage cannot be approved as the
        // policy means it, so it is rejected (on_empty does not apply: the stage did resolve people).
        if (plan.Excluded.FirstOrDefault(e => e.Required) is { } missing)
        {
            SetNode(instance, node, NodeStates.Rejected);
            RejectRequest(instance, stage.StageOrder, actor: null, "required_approver_excluded",
                $"stage {stage.StageOrder} ('{stage.Name}'): required approver {SegregationOfDuties.Explain(missing.Rule, missing.UserId)}");
            return null;
        }
        if (plan.Approvers.Count == 0)
        {
            if (stage.OnEmpty == "skip")
            {
                SetNode(instance, node, NodeStates.Skipped);
                Emit(instance, EventType.StageSkipped, new JsonObject
                {
                    ["reason"] = "no_approvers", ["name"] = stage.Name, ["excluded"] = Excluded(plan),
                }, stage.StageOrder);
                return ConnectionOutcome.Skipped;
            }
            SetNode(instance, node, NodeStates.Rejected);
            RejectRequest(instance, stage.StageOrder, actor: null, "no_approvers_resolved",
                plan.Excluded.Count == 0
                    ? $"stage {stage.StageOrder} ('{stage.Name}') resolved no approvers"
                    : $"stage {stage.StageOrder} ('{stage.Name}') has no approvers left after {string.Join(", ", plan.Excluded.Select(e => $"{e.UserId} ({e.Reason})"))}");
            return null;
        }

        // Checked before any task of this stage exists, so a refusal leaves nothing half-opened.
        var people = plan.Approvers.Count + plan.Observers.Count;
        if (request.Tasks.Count + people > _settings.MaxTasksPerRequest)
            throw new UnusableApproversException(
                $"stage {stage.StageOrder} ('{stage.Name}') would bring the request to {request.Tasks.Count + people} tasks, more than the {_settings.MaxTasksPerRequest} a request may have (awe.limits.max_tasks_per_request)");

        var now = Now;
        var dueAt = StageDueAt(instance.Definition, stage, now);
        foreach (var a in plan.Approvers)
            AddTask(instance, NewTask(request, stage, a.Assignee, TaskKind.Approver, a.DelegatedFrom, a.RequiredSlot, dueAt, now));
        foreach (var o in plan.Observers)
            AddTask(instance, NewTask(request, stage, o.Assignee, TaskKind.Observer, o.DelegatedFrom, null, null, now));

        SetNode(instance, node, NodeStates.Active);
        ArmReminders(instance, node, now);
        request.Status = RequestStatus.InReview;
        Emit(instance, EventType.StageStarted, new JsonObject
        {
            ["name"] = stage.Name, ["mode"] = stage.Mode, ["mode_value"] = stage.ModeValue,
            ["approvers"] = Strings(plan.Approvers.Select(a => a.Assignee)),
            ["observers"] = Strings(plan.Observers.Select(o => o.Assignee)),
            ["required_approvers"] = Strings(plan.Approvers.Where(a => a.RequiredSlot is not null).Select(a => a.Assignee)),
            ["delegations"] = new JsonArray(plan.Approvers.Concat(plan.Observers).Where(a => a.DelegatedFrom is not null)
                .Select(a => (JsonNode)new JsonObject { ["from"] = a.DelegatedFrom, ["to"] = a.Assignee }).ToArray()),
            ["excluded"] = Excluded(plan),
            ["due_at"] = dueAt,
        }, stage.StageOrder);

        // A stage whose quorum is out of reach from the start (e.g. any-n 3 with two approvers) fails now.
        return EvaluateStage(instance, node, actor: null);
    }

    /// <summary>
    /// The change that started this stage commits; the stage waits, active without tasks, and the resolution is
    /// retried with backoff (resolver.retry_backoff_seconds) until it succeeds or the request is cancelled.
    /// </summary>
    private void DeferResolution(ApprovalInstance instance, WorkflowNode node, string reason)
    {
        var stage = node.Stage!;
        var attempt = instance.State.ResolutionRetries.TryGetValue(node.Id, out var previous) ? previous.Attempt + 1 : 1;
        var waits = _settings.ResolutionRetrySeconds;
        var wait = waits.Count == 0 ? 60 : waits[Math.Min(attempt - 1, waits.Count - 1)];
        var next = Now.AddSeconds(wait);
        instance.State.ResolutionRetries[node.Id] = new ResolutionRetry(attempt, next, reason);
        SetNode(instance, node, NodeStates.Active);
        instance.Request.Status = RequestStatus.InReview;
        Emit(instance, EventType.StageResolutionFailed, new JsonObject
        {
            ["name"] = stage.Name, ["reason"] = reason, ["attempt"] = attempt, ["next_retry_at"] = next,
        }, stage.StageOrder);
    }

    private async Task ReevaluateStageAsync(ApprovalInstance instance, int stageOrder, string? actor, CancellationToken ct)
    {
        var node = instance.Definition.StageNode(stageOrder);
        if (instance.State.NodeState(node.Id) != NodeStates.Active) return;
        var outcome = EvaluateStage(instance, node, actor);
        if (outcome is not null)
            await RunAsync(instance, instance.Definition.Targets(node.Id, outcome), actor, ct);
        else
        {
            UpdateCurrentStage(instance);
            SaveState(instance);
        }
    }

    /// <summary>Applies the quorum rule; on a verdict closes the stage and returns the outcome to follow.</summary>
    private string? EvaluateStage(ApprovalInstance instance, WorkflowNode node, string? actor, string? rejectReason = null)
    {
        var stage = node.Stage!;
        var tasks = instance.StageTasks(stage.StageOrder).ToList();
        var decisions = instance.Request.Decisions.ToDictionary(d => d.Id);
        var votes = tasks.Where(t => t.Kind == TaskKind.Approver)
            .Select(t => new Vote(t.Id, t.Assignee, ToVoteStatus(t, decisions), t.RequiredSlot))
            .ToList();
        var verdict = QuorumEvaluator.Evaluate(QuorumEvaluator.ParseMode(stage.Mode), stage.ModeValue, votes);

        switch (verdict.Outcome)
        {
            case StageOutcome.Approved:
                var skipped = CloseLiveTasks(instance, tasks);
                SetNode(instance, node, NodeStates.Done);
                var skippedApprovers = skipped.Where(t => t.Kind == TaskKind.Approver).ToList();
                if (skippedApprovers.Count > 0)
                    Emit(instance, EventType.StageQuorumSkipped, new JsonObject
                    {
                        ["skipped_assignees"] = Strings(skippedApprovers.Select(t => t.Assignee)),
                        ["task_ids"] = Strings(skippedApprovers.Select(t => t.Id)),
                    }, stage.StageOrder);
                Emit(instance, EventType.StageCompleted, new JsonObject
                {
                    ["outcome"] = "approved", ["name"] = stage.Name, ["actor"] = actor,
                }, stage.StageOrder);
                return ConnectionOutcome.Approved;

            case StageOutcome.Rejected:
                SetNode(instance, node, NodeStates.Rejected);
                RejectRequest(instance, stage.StageOrder, actor, rejectReason ?? verdict.Reason ?? "rejected", verdict.Detail);
                return null;

            default:
                return null;
        }
    }

    private void RejectRequest(ApprovalInstance instance, int stageOrder, string? actor, string reason, string? detail)
    {
        var stageName = instance.Definition.StageNode(stageOrder).Stage!.Name;
        CloseLiveTasks(instance, instance.Request.Tasks);
        CloseActiveNodes(instance);
        instance.State.ResolutionRetries.Clear();
        SetNode(instance, instance.Definition.Node(WorkflowDefinition.RejectedNodeId), NodeStates.Done);
        instance.Request.CurrentStageOrder = stageOrder;
        Finish(instance, RequestStatus.Rejected);
        if (reason != "no_approvers_resolved")
            Emit(instance, EventType.StageCompleted, new JsonObject
            {
                ["outcome"] = "rejected", ["name"] = stageName, ["actor"] = actor, ["reason"] = reason, ["detail"] = detail,
            }, stageOrder);
        Emit(instance, EventType.RequestRejected, new JsonObject
        {
            ["actor"] = actor, ["reason"] = reason, ["detail"] = detail,
        }, stageOrder);
    }

    // ---- stage planning: resolution, segregation of duties, delegation --------------------------------------

    public sealed record PlannedAssignee(string Assignee, string? DelegatedFrom, string? RequiredSlot);
    /// <summary>A person segregation of duties kept off the stage: <see cref="Rule"/> is the policy flag, <see cref="Reason"/> says it in context.</summary>
    public sealed record ExcludedUser(string UserId, string Reason, string Rule, bool Required = false);
    public sealed record StagePlan(IReadOnlyList<PlannedAssignee> Approvers, IReadOnlyList<PlannedAssignee> Observers, IReadOnlyList<ExcludedUser> Excluded);

    /// <summary>
    /// Works out who gets a task on a stage: rules are resolved and unioned in order, segregation of duties
    /// removes the requester and earlier approvers, then active delegations redirect (no chaining), and a user
    /// reached twice gets one task.
    /// </summary>
    public async Task<StagePlan> PlanStageAsync(StageSpec stage, ApprovalRequest request, SegregationOfDuties sod, CancellationToken ct)
    {
        var input = new ResolutionInput(request.Context, request);
        // Lists keep the authors' order; the index maps make each step O(1) (a role may have thousands of members).
        var approvers = new List<(string User, bool Required)>();
        var approverIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var observers = new List<string>();
        var observerSet = new HashSet<string>(StringComparer.Ordinal);
        for (var position = 0; position < stage.Rules.Count; position++)
        {
            var rule = stage.Rules[position];
            var users = await ResolveRuleAsync(stage, position, input, ct);
            foreach (var user in users)
            {
                if (rule.Kind == TaskKind.Observer)
                {
                    if (observerSet.Add(user)) observers.Add(user);
                    continue;
                }
                if (approverIndex.TryGetValue(user, out var existing))
                {
                    if (rule.Required) approvers[existing] = (user, true);
                }
                else
                {
                    approverIndex[user] = approvers.Count;
                    approvers.Add((user, rule.Required));
                }
            }
        }

        // Before the delegation lookup, which sends every id to the database in one query.
        if (approvers.Count + observers.Count > _settings.MaxAssigneesPerStage)
            throw new UnusableApproversException(
                $"stage {stage.StageOrder} ('{stage.Name}') resolved {approvers.Count + observers.Count} approvers and observers, more than the {_settings.MaxAssigneesPerStage} a stage may have (awe.limits.max_approvers_per_stage)");

        var excluded = new List<ExcludedUser>();

        var delegates = await delegations.ActiveDelegatesAsync(approvers.Select(a => a.User).Concat(observers).Distinct().ToList(), Now, ct);
        var planned = new List<PlannedAssignee>();
        var plannedIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (user, required) in approvers)
        {
            if (sod.Violation(user) is { } why) { excluded.Add(new ExcludedUser(user, why, why, required)); continue; }
            var (assignee, from) = delegates.TryGetValue(user, out var d) ? (UserIds.Canonical(d), user) : (user, (string?)null);
            // A delegate must not become a way around segregation of duties.
            if (from is not null && sod.Violation(assignee) is { } dwhy)
            {
                excluded.Add(new ExcludedUser(assignee, $"{dwhy} (delegate of {user})", dwhy, required));
                continue;
            }
            var slot = required ? user : null;
            if (!plannedIndex.TryGetValue(assignee, out var index))
            {
                plannedIndex[assignee] = planned.Count;
                planned.Add(new PlannedAssignee(assignee, from, slot));
            }
            else if (slot is not null && planned[index].RequiredSlot is null)
                planned[index] = planned[index] with { RequiredSlot = slot };
        }

        var plannedObservers = new List<PlannedAssignee>();
        var taken = new HashSet<string>(plannedIndex.Keys, StringComparer.Ordinal);
        foreach (var user in observers)
        {
            var (assignee, from) = delegates.TryGetValue(user, out var d) ? (UserIds.Canonical(d), user) : (user, (string?)null);
            if (taken.Add(assignee)) plannedObservers.Add(new PlannedAssignee(assignee, from, null));
        }
        return new StagePlan(planned, plannedObservers, excluded);
    }

    /// <summary>
    /// One rule's user ids in canonical form (see <see cref="UserIds"/>): directories and expressions may spell one
    /// person differently, tasks and segregation of duties use one spelling. An answer no task can hold (a value
    /// that is not an id, an id too long or with invisible characters) is refused here, naming the stage and the
    /// rule, before the stage changes anything.
    /// </summary>
    private async Task<IReadOnlyList<string>> ResolveRuleAsync(StageSpec stage, int position, ResolutionInput input, CancellationToken ct)
    {
        var rule = stage.Rules[position];
        var where = $"stage {stage.StageOrder} ('{stage.Name}'), rule {position + 1} ({rule.RuleType})";
        IReadOnlyList<string> users;
        try
        {
            users = await resolver.ResolveAsync(rule, input, ct);
        }
        catch (UnusableApproversException e)
        {
            throw new UnusableApproversException($"{where}: {e.Message}");
        }
        var ids = new List<string>(users.Count);
        foreach (var raw in users.Where(u => !string.IsNullOrWhiteSpace(u)))
        {
            if (UserIds.Problem(raw) is { } problem)
                throw new UnusableApproversException($"{where} resolved the user id '{Printable(raw)}', which {problem}");
            ids.Add(UserIds.Canonical(raw));
        }
        return ids;
    }

    /// <summary>An id as text that can be shown in a message: control and invisible characters as \uXXXX, cut to 64.</summary>
    private static string Printable(string id)
    {
        var sb = new StringBuilder();
        foreach (var c in id.Length > 64 ? id[..64] : id)
            if (char.IsControl(c) || char.IsSurrogate(c) || System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format)
                sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        return id.Length > 64 ? sb.Append('…').ToString() : sb.ToString();
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    /// <summary>A skip_if that cannot be evaluated does not skip: the stage runs (fail closed).</summary>
    public static bool SkipIfHolds(JsonNode skipIf, JsonNode context)
    {
        try
        {
            return JsonLogicEvaluator.IsTruthy(JsonLogicEvaluator.Apply(skipIf, context));
        }
        catch (JsonLogicException)
        {
            return false;
        }
    }

    private static VoteStatus ToVoteStatus(ApprovalTask task, IReadOnlyDictionary<string, ApprovalDecision> decisions) => task.Status switch
    {
        TaskStatus.Open => VoteStatus.Open,
        TaskStatus.Claimed => VoteStatus.Claimed,
        TaskStatus.Expired => VoteStatus.Expired,
        TaskStatus.Reassigned => VoteStatus.Reassigned,
        TaskStatus.Skipped => VoteStatus.Skipped,
        TaskStatus.Completed when task.DecisionId is { } id && decisions.TryGetValue(id, out var d) => d.Action switch
        {
            DecisionAction.Approve => VoteStatus.Approved,
            DecisionAction.Reject => VoteStatus.Rejected,
            _ => VoteStatus.Abstained,
        },
        _ => VoteStatus.Abstained,
    };

    private List<ApprovalTask> CloseLiveTasks(ApprovalInstance instance, IEnumerable<ApprovalTask> tasks)
    {
        var now = Now;
        var closed = tasks.Where(t => TaskStatus.IsLive(t.Status)).ToList();
        foreach (var t in closed)
        {
            t.Status = TaskStatus.Skipped;
            t.CompletedAt = t.UpdatedAt = now;
        }
        return closed;
    }

    private static void CloseActiveNodes(ApprovalInstance instance)
    {
        foreach (var (id, state) in instance.State.Nodes.ToList())
            if (state == NodeStates.Active) instance.State.Nodes[id] = NodeStates.Skipped;
    }

    private void Finish(ApprovalInstance instance, string status)
    {
        instance.Request.Status = status;
        instance.Request.CompletedAt = Now;
        SaveState(instance);
    }

    private static void SetNode(ApprovalInstance instance, WorkflowNode node, string state) => instance.State.Nodes[node.Id] = state;

    private static void UpdateCurrentStage(ApprovalInstance instance)
    {
        var active = instance.Definition.StageNodes.Where(n => instance.State.NodeState(n.Id) == NodeStates.Active)
            .Select(n => n.Stage!.StageOrder).ToList();
        if (active.Count > 0) instance.Request.CurrentStageOrder = active.Min();
    }

    /// <summary>Bookmarks are derived from the live tasks, so they can never disagree with them.</summary>
    private void SaveState(ApprovalInstance instance)
    {
        var bookmarks = new List<Bookmark>();
        foreach (var node in instance.Definition.StageNodes.Where(n => instance.State.NodeState(n.Id) == NodeStates.Active))
        {
            var live = instance.StageTasks(node.Stage!.StageOrder).Where(t => TaskStatus.IsLive(t.Status)).ToList();
            bookmarks.AddRange(live.Select(t => new Bookmark(node.Id, BookmarkKind.TaskDecision, t.Id, t.Assignee)));
            var due = live.Where(t => t.Kind == TaskKind.Approver && t.DueAt is not null).Select(t => t.DueAt!.Value).ToList();
            if (due.Count > 0) bookmarks.Add(new Bookmark(node.Id, BookmarkKind.SlaDeadline, DueAt: due.Min()));
        }
        foreach (var (nodeId, retry) in instance.State.ResolutionRetries)
            bookmarks.Add(new Bookmark(nodeId, BookmarkKind.ResolutionRetry, DueAt: retry.NextAttemptAt));
        instance.State.Bookmarks = bookmarks;
        instance.Request.ResolutionRetryAt = RequestStatus.IsTerminal(instance.Request.Status) || instance.State.ResolutionRetries.Count == 0
            ? null
            : instance.State.ResolutionRetries.Values.Min(r => r.NextAttemptAt);
        SyncTimers(instance);
        instance.Request.WorkflowState = instance.State.ToJson();
    }

    private void Touch(ApprovalInstance instance)
    {
        instance.Request.UpdatedAt = Now;
        SaveState(instance);
    }

    private static void EnsureOpen(ApprovalInstance instance)
    {
        if (RequestStatus.IsTerminal(instance.Request.Status))
            throw new WorkflowStateException($"request {instance.Request.Id} is {instance.Request.Status}; it accepts no further changes");
    }

    private static void AddTask(ApprovalInstance instance, ApprovalTask task)
    {
        instance.Request.Tasks.Add(task);
        instance.NewTasks.Add(task);
    }

    private static ApprovalTask NewTask(ApprovalRequest request, StageSpec stage, string assignee, string kind, string? delegatedFrom,
        string? requiredSlot, DateTime? dueAt, DateTime now) => new()
    {
        RequestId = request.Id, StageId = stage.StageId, StageOrder = stage.StageOrder, Assignee = assignee, Kind = kind,
        DelegatedFrom = delegatedFrom, RequiredSlot = requiredSlot, Status = TaskStatus.Open, DueAt = dueAt,
        CreatedAt = now, UpdatedAt = now,
    };

    private void Emit(ApprovalInstance instance, string type, JsonObject payload, int? stageOrder = null)
    {
        var request = instance.Request;
        payload["request_id"] = request.Id;
        payload["artifact_type"] = request.ArtifactType;
        payload["artifact_id"] = request.ArtifactId;
        payload["status"] = request.Status;
        payload["stage_order"] = stageOrder ?? request.CurrentStageOrder;
        request.LastEventSeq++;
        instance.NewEvents.Add(new ApprovalEvent
        {
            RequestId = request.Id, Seq = request.LastEventSeq, EventType = type, Payload = payload, CreatedAt = Now,
        });
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static JsonArray Excluded(StagePlan plan) =>
        new(plan.Excluded.Select(e => (JsonNode)new JsonObject { ["user_id"] = e.UserId, ["reason"] = e.Reason }).ToArray());

    /// <summary>Text the task inbox searches: artifact, policy and the flattened context ("key:value").</summary>
    public static string SearchText(ApprovalRequest request)
    {
        var sb = new StringBuilder($"{request.ArtifactType} {request.ArtifactId} {request.PolicyKey}");
        void Walk(string prefix, JsonNode? node)
        {
            if (sb.Length >= SearchTextMaxLength) return;
            switch (node)
            {
                case JsonObject o:
                    foreach (var (k, v) in o) Walk(prefix.Length == 0 ? k : $"{prefix}.{k}", v);
                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++) Walk(prefix, a[i]);
                    break;
                case JsonValue v:
                    sb.Append(' ').Append(prefix).Append(':').Append(v.TryGetValue(out string? s) ? s : v.ToJsonString());
                    break;
            }
        }
        Walk("", request.Context);
        return sb.Length <= SearchTextMaxLength ? sb.ToString() : sb.ToString(0, SearchTextMaxLength);
    }

    /// <summary>The start of a large context (a list of thousands of ids) is what inbox searches need.</summary>
    public const int SearchTextMaxLength = 2000;
}
