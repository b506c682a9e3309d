using Awe.Activities.Deadlines;

namespace Awe.Activities.Runtime;

/// <summary>Tunables of the runner that come from configuration.</summary>
/// <param name="ResolutionRetrySeconds">Waits before each retry of a failed stage resolution; the last repeats.</param>
/// <param name="MaxAssigneesPerStage">Most people one stage may open tasks for (approvers and observers; awe.limits.max_approvers_per_stage).</param>
/// <param name="MaxTasksPerRequest">Most tasks one request may hold over its life (awe.limits.max_tasks_per_request).</param>
/// <param name="MaxEscalations">How often an <c>escalate</c> stage escalates before it behaves as <c>notify</c>.</param>
/// <param name="Calendars">Business calendars by name (awe.calendars).</param>
public sealed record RunnerSettings(IReadOnlyList<int> ResolutionRetrySeconds, int MaxAssigneesPerStage = 5000, int MaxTasksPerRequest = 10000,
    int MaxEscalations = 1, IReadOnlyDictionary<string, BusinessCalendar>? Calendars = null)
{
    public static readonly RunnerSettings Default = new([10, 30, 60, 300, 900]);
}
