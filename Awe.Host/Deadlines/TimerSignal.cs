namespace Awe.Host.Deadlines;

/// <summary>
/// Tells this replica's scheduler that a timer was armed, and when it falls due, so it wakes before then instead of
/// sleeping to its next poll. Other replicas learn of it at their next poll (sla.check_interval_seconds).
/// </summary>
public sealed class TimerSignal
{
    private readonly object _gate = new();
    private TaskCompletionSource _armed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTime _earliest = DateTime.MaxValue;

    public void Armed(DateTime dueAt)
    {
        TaskCompletionSource wake;
        lock (_gate)
        {
            if (dueAt >= _earliest) return;
            _earliest = dueAt;
            wake = _armed;
        }
        wake.TrySetResult();
    }

    /// <summary>The earliest due time announced since the last <see cref="Take"/>, and a task that completes at the next announcement.</summary>
    public (DateTime Earliest, Task Next) Take()
    {
        lock (_gate)
        {
            var earliest = _earliest;
            _earliest = DateTime.MaxValue;
            if (_armed.Task.IsCompleted) _armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return (earliest, _armed.Task);
        }
    }
}
