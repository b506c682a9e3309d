namespace Awe.Host.Operations;

/// <summary>
/// Whether the database has been reached and its schema brought up to date since this process started. Until then
/// the host serves liveness but not readiness, and the background workers wait instead of failing every tick.
/// </summary>
public sealed class DatabaseReadiness
{
    private readonly TaskCompletionSource _schemaReady = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool SchemaReady => _schemaReady.Task.IsCompleted;

    /// <summary>
    /// Why the database could not be used at start-up, as an exception type (for the anonymous readiness answer,
    /// which must not show hosts or addresses; the log line has the details); null once ready.
    /// </summary>
    public string? StartupProblem { get; internal set; } = "not checked yet";

    public Task WaitAsync(CancellationToken ct) => _schemaReady.Task.WaitAsync(ct);

    internal void MarkSchemaReady()
    {
        StartupProblem = null;
        _schemaReady.TrySetResult();
    }
}
