namespace Awe.Host.Tests.Infrastructure;

/// <summary>
/// Awaited conditions with a deadline: probe, test, and probe again a little later until the condition holds.
/// Used instead of fixed sleeps, so a test waits exactly as long as the system needs and fails with what it saw.
/// </summary>
public static class Wait
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string what, int seconds = 30,
        Func<T, string>? describe = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await probe();
            if (condition(value)) return value;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException(
                    $"timed out after {seconds} s waiting for: {what}\nlast seen:\n{(describe is null ? value?.ToString() : describe(value))}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the clock has passed <paramref name="moment"/> (UTC), e.g. the end of a grace period.</summary>
    public static Task PassedAsync(DateTime moment, string what) =>
        UntilAsync(() => Task.FromResult(DateTime.UtcNow), now => now > moment, what, seconds: (int)Math.Max(5, (moment - DateTime.UtcNow).TotalSeconds + 5));
}
