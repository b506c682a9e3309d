using Awe.Activities.Model;

namespace Awe.Activities.Runtime;

/// <summary>
/// A request loaded for one run of its workflow: the request with its tasks and decisions, the definition it
/// runs and its state. The runner appends what it creates to the New* lists; the caller persists them.
/// </summary>
public sealed class ApprovalInstance
{
    public ApprovalInstance(ApprovalRequest request, WorkflowDefinition definition)
    {
        Request = request;
        Definition = definition;
        State = InstanceState.FromJson(request.WorkflowState);
        if (State.DefinitionId.Length == 0) State.DefinitionId = definition.DefinitionId;
    }

    public ApprovalRequest Request { get; }
    public WorkflowDefinition Definition { get; }
    public InstanceState State { get; }
    public List<ApprovalTask> NewTasks { get; } = [];
    public List<ApprovalDecision> NewDecisions { get; } = [];
    public List<ApprovalEvent> NewEvents { get; } = [];
    /// <summary>The request's pending timers as loaded; the runner cancels the moot ones and appends new ones here and to NewTimers.</summary>
    public List<ApprovalTimer> Timers { get; } = [];
    public List<ApprovalTimer> NewTimers { get; } = [];

    /// <summary>
    /// Whether a stage whose approvers cannot be resolved may wait for a retry. False when a request is being
    /// created (the caller is told to retry and nothing is written); true when a decision or another change
    /// starts the stage, because that change must not be lost.
    /// </summary>
    public bool DeferResolutionFailures { get; set; }

    public IEnumerable<ApprovalTask> StageTasks(int stageOrder) => Request.Tasks.Where(t => t.StageOrder == stageOrder);

    public ApprovalTask Task(string taskId) =>
        Request.Tasks.FirstOrDefault(t => t.Id == taskId) ?? throw new InvalidOperationException($"task {taskId} is not part of request {Request.Id}");
}

/// <summary>The change asked for does not fit the state the request or task is in (HTTP 409).</summary>
public sealed class WorkflowStateException(string message) : Exception(message);
