namespace Awe.Host.Hosting;

/// <summary>Lease owners of the outbox and timer workers: unique per worker, readable as the replica that holds a lease.</summary>
public static class ReplicaIds
{
    public static string New() => $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
}
