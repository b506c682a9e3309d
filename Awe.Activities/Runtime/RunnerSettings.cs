namespace Awe.Activities.Runtime;

/// <summary>Tunables of the runner that come from configuration.</summary>
/// <param name="ResolutionRetrySeconds">Waits before each retry of a failed stage resolution; the last repeats.</param>
public sealed record RunnerSettings(IReadOnlyList<int> ResolutionRetrySeconds)
{
    public static readonly RunnerSettings Default = new([10, 30, 60, 300, 900]);
}
