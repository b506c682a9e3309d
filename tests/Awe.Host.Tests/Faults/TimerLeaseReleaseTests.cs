using Awe.Host.Deadlines;
using Awe.Host.Tests.Deadlines;
using Awe.Host.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Awe.Host.Tests.Webhooks.WebhookKit;
using TestPolicies = Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Faults;

/// <summary>
/// The timer scheduler's half of a graceful stop: timers this replica holds a claim on when the host stops are handed
/// back, while claims of other replicas and timers already fired are left as they are.
/// </summary>
public sealed class TimerLeaseReleaseTests
{
    [Fact]
    public async Task Stopping_the_host_releases_the_timer_claims_it_holds_and_only_those()
    {
        await using var db = await TestDatabase.CreateAsync();
        var app = new AweApp(db.ConnectionString, DeadlineKit.FastScheduler);
        await using (app)
        {
            var admin = app.ClientFor(Tokens.Admin);
            var key = await TestPolicies.CreateActiveAsync(admin,
                TestPolicies.Policy("timer.release", DeadlineKit.SlaStage(1, "any-n", 1, "PT1H", "auto_approve", "u-slow")));
            var mine = Id(await TestPolicies.RequestAsync(admin, key, artifactId: "mine"));
            var theirs = Id(await TestPolicies.RequestAsync(admin, key, artifactId: "theirs"));
            var me = app.Services.GetRequiredService<TimerScheduler>().ReplicaId;
            // As if this replica were firing one request's deadline, and another replica the other's, when the stop came.
            Assert.Equal(1, await CountAsync(db.ConnectionString,
                "WITH c AS (UPDATE approval_timer SET lease_owner = @me, lease_until = now() + interval '1 hour' WHERE request_id = @r RETURNING 1) SELECT count(*) FROM c",
                ("me", me), ("r", mine)));
            Assert.Equal(1, await CountAsync(db.ConnectionString,
                "WITH c AS (UPDATE approval_timer SET lease_owner = 'other-1-x', lease_until = now() + interval '1 hour' WHERE request_id = @r RETURNING 1) SELECT count(*) FROM c",
                ("r", theirs)));
        }

        Assert.Equal(0, await CountAsync(db.ConnectionString,
            "SELECT count(*) FROM approval_timer t JOIN approval_request r ON r.id = t.request_id WHERE r.artifact_id = 'mine' AND t.lease_owner IS NOT NULL"));
        Assert.Equal(1, await CountAsync(db.ConnectionString,
            "SELECT count(*) FROM approval_timer t JOIN approval_request r ON r.id = t.request_id WHERE r.artifact_id = 'theirs' AND t.lease_owner = 'other-1-x' AND t.state = 'pending'"));
    }
}
