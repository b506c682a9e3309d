using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Webhooks.WebhookKit;

namespace Awe.Host.Tests.Webhooks;

/// <summary>The embedded SQLite default (one process): the same outbox, retries, order and signatures.</summary>
public sealed class WebhookSqliteTests
{
    [Fact]
    public async Task Deliveries_are_retried_signed_and_ordered_on_sqlite_too()
    {
        var file = Path.Combine(Path.GetTempPath(), $"awe-webhooks-{Guid.NewGuid():N}.db");
        try
        {
            await using var receiver = await WebhookReceiver.StartAsync(Respond.FailFirst(1));
            await using (var app = new AweApp($"Data Source={file}", WebhookFixture.FastDispatcher))
            {
                var admin = app.ClientFor(Tokens.Admin);
                var service = NewService("sqlite");
                var (_, secret) = await IssueSecretAsync(admin, service);
                var key = await PolicyAsync(admin, "sqlite");
                var created = await RequestAsync(app.ClientFor(Tokens.Service(service)), key, receiver.Url());
                await ApproveAsync(app.ClientFor(Tokens.User(Approver)), created);
                var deliveries = await WaitForDeliveriesAsync(admin, Id(created), 5, d => Is(d, "delivered"), "all delivered on sqlite");
                Assert.All(deliveries, d => Assert.Equal(2, (int)d["attempt"]!));
                Assert.Equal([1, 1, 2, 2, 3, 3, 4, 4, 5, 5], receiver.Received.Select(r => r.Seq));
                Assert.All(receiver.Received, r => AssertSignedBy(r, secret));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var f in new[] { file, file + "-wal", file + "-shm" }) File.Delete(f);
        }
    }
}
