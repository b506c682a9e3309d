using Awe.Activities.Deadlines;

namespace Awe.Activities.Runtime;

/// <summary>Tunables of the runner that come from configuration.</summary>
/// <param name="ResolutionRetrySeconds">Waits before each retry of a failed stage resolution; the last repeats.</param>
/// <param name="MaxEscalations">How often an <c>escalate</c> stage escalates before it behaves as <c>notify</c>.</param>
/// <param name="Calendars">Business calendars by name (awe.calendars).</param>
public sealed record RunnerSettings(IReadOnlyList<int> ResolutionRetrySeconds, int MaxEscalations = 1,
    IReadOnlyDictionary<string, BusinessCalendar>? Calendars = null)
{
    public static readonly RunnerSettings Default = new([10, 30, 60, 300, 900]);
}
