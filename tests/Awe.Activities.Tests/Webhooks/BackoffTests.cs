using Awe.Activities.Webhooks;

namespace Awe.Activities.Tests.Webhooks;

public class BackoffTests
{
    private static readonly DateTime Now = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly int[] Default = [60, 300, 900, 3600, 21600];

    [Theory]
    // attempt that just failed → seconds until the next one (backoff[attempt-1])
    [InlineData(1, 60)]
    [InlineData(2, 300)]
    [InlineData(3, 900)]
    [InlineData(4, 3600)]
    [InlineData(5, 21600)]
    public void Failed_attempt_n_waits_backoff_n_minus_1(int attempt, int seconds)
    {
        Assert.Equal(Now.AddSeconds(seconds), Backoff.NextAttempt(attempt, maxAttempts: 6, Default, Now));
    }

    [Theory]
    [InlineData(6, 6)]
    [InlineData(7, 6)]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    public void No_next_attempt_once_max_attempts_are_used(int attempt, int maxAttempts)
    {
        Assert.Null(Backoff.NextAttempt(attempt, maxAttempts, Default, Now));
    }

    [Fact]
    public void A_short_list_repeats_its_last_entry()
    {
        int[] backoff = [0, 1];
        Assert.Equal(Now, Backoff.NextAttempt(1, 10, backoff, Now));
        Assert.Equal(Now.AddSeconds(1), Backoff.NextAttempt(2, 10, backoff, Now));
        Assert.Equal(Now.AddSeconds(1), Backoff.NextAttempt(7, 10, backoff, Now));
    }

    [Fact]
    public void An_empty_list_retries_at_once()
    {
        Assert.Equal(Now, Backoff.NextAttempt(1, 3, [], Now));
        Assert.Null(Backoff.NextAttempt(3, 3, [], Now));
    }
}
