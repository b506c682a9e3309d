using System.Net;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Concurrency;

/// <summary>
/// Fires calls at the same moment: every call is scheduled on its own thread-pool task and parks on one gate,
/// and the gate opens only after all of them are parked, so they hit the server together.
/// </summary>
public static class Race
{
    public static async Task<T[]> RunAsync<T>(IReadOnlyList<Func<Task<T>>> calls)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allParked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var parked = 0;
        var running = calls.Select(call => Task.Run(async () =>
        {
            if (Interlocked.Increment(ref parked) == calls.Count) allParked.SetResult();
            await gate.Task;
            return await call();
        })).ToArray();
        await allParked.Task;
        gate.SetResult();
        return await Task.WhenAll(running);
    }
}

/// <summary>One call of a race: what was asked (task and actor) and what the server answered.</summary>
public sealed record Attempt(string TaskId, string Actor, string Action, Reply Reply)
{
    public bool Won => Reply.Status is HttpStatusCode.Created or HttpStatusCode.OK;

    public string? DecisionId => Reply.Status == HttpStatusCode.Created ? (string?)Reply.Json["id"] : null;

    /// <summary>A race may be won or lost, but losing must be a clean 409 AWE-007, never a 500 or anything else.</summary>
    public void AssertWonOrConflict(HttpStatusCode winning)
    {
        if (Reply.Status == winning) return;
        Assert.True(Reply.Status == HttpStatusCode.Conflict && Reply.ErrorCode == "AWE-007",
            $"{Action} on {TaskId} by {Actor}: expected {(int)winning} or 409 AWE-007, got {(int)Reply.Status}: {Reply.Raw}");
    }
}
