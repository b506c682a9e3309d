namespace Awe.Activities.Webhooks;

/// <summary>Retry schedule of a delivery after a failed attempt.</summary>
public static class Backoff
{
    /// <summary>
    /// After attempt <paramref name="attempt"/> (1-based) failed: null when attempts are used up (exhausted),
    /// else the time of the next attempt, waiting backoff[attempt-1] (the last entry repeats if the list is short).
    /// </summary>
    public static DateTime? NextAttempt(int attempt, int maxAttempts, IReadOnlyList<int> backoffSeconds, DateTime now)
    {
        if (attempt >= maxAttempts) return null;
        if (backoffSeconds.Count == 0) return now;
        var wait = backoffSeconds[Math.Min(attempt - 1, backoffSeconds.Count - 1)];
        return now.AddSeconds(wait);
    }
}
