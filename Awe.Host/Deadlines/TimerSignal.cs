namespace Awe.Host.Deadlines;

/// <summary>
/// Tells this replica's scheduler that a timer was armed, and when it falls due, so it wakes before then instead of
/// sleeping to its next poll. Told when the arming transaction commits (Persistence.CommitSignalInterceptor), so the
/// woken scheduler finds the row. Only a timer due before the planned wake-up wakes it: a burst of requests does not
/// make the scheduler query the table once per request. Other replicas learn of new timers at their next poll
/// (sla.check_interval_seconds).
/// </summary>
public sealed class TimerSignal
{
    private readonly object _gate = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTime _earliest = DateTime.MaxValue;
    private DateTime? _sleepingUntil;

    public void Armed(DateTime dueAt)
    {
        lock (_gate)
        {
            if (dueAt >= _earliest) return;
            _earliest = dueAt;
            // Awake (working a round): the next round must not sleep past it, so end that sleep before it starts.
            if (_sleepingUntil is null || dueAt < _sleepingUntil) _wake.TrySetResult();
        }
    }

    /// <summary>Starts a round: the earliest due time announced since the last round, and a task that completes when the round's sleep must end early.</summary>
    public (DateTime Earliest, Task Wake) Take()
    {
        lock (_gate)
        {
            var earliest = _earliest;
            _earliest = DateTime.MaxValue;
            _sleepingUntil = null;
            if (_wake.Task.IsCompleted) _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return (earliest, _wake.Task);
        }
    }

    /// <summary>The scheduler is about to sleep until <paramref name="until"/>.</summary>
    public void Sleeping(DateTime until)
    {
        lock (_gate) _sleepingUntil = until;
    }
}
