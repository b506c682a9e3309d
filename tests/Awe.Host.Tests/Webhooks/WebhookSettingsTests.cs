using Awe.Host.Configuration;

namespace Awe.Host.Tests.Webhooks;

public sealed class WebhookSettingsTests
{
    private static List<string> LeaseProblems(int lease, int timeout)
    {
        var options = new AweOptions { Webhook = { LeaseSeconds = lease, TimeoutSeconds = timeout } };
        return ConfigurationSetup.Validate(options, "Development").Where(p => p.Contains("lease_seconds")).ToList();
    }

    [Fact]
    public void The_lease_defaults_to_twice_the_timeout_plus_30_seconds()
    {
        Assert.Equal(50, new WebhookOptions { TimeoutSeconds = 10 }.EffectiveLeaseSeconds);
        Assert.Equal(32, new WebhookOptions { TimeoutSeconds = 1, LeaseSeconds = 0 }.EffectiveLeaseSeconds);
        Assert.Equal(9, new WebhookOptions { TimeoutSeconds = 6, LeaseSeconds = 9 }.EffectiveLeaseSeconds);
        Assert.Empty(LeaseProblems(lease: 0, timeout: 10));
        Assert.Empty(LeaseProblems(lease: 11, timeout: 10));
    }

    [Theory]
    [InlineData(10, 10)] // a lease no longer than one attempt could run out while the attempt is still under way
    [InlineData(5, 10)]
    [InlineData(-1, 10)]
    public void A_lease_not_longer_than_the_timeout_is_refused_at_start_up(int lease, int timeout)
    {
        var problem = Assert.Single(LeaseProblems(lease, timeout));
        Assert.StartsWith("awe.webhook.lease_seconds", problem);
    }
}
