using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests;

/// <summary>The seed's smoke test, with its exact token and bodies, on PostgreSQL and on the embedded SQLite default.</summary>
public sealed class SmokeTests
{
    private const string CreatePolicy = """
        {
            "policy_key": "demo.v1",
            "name": "Demo approval",
            "artifact_type": "demo.artifact",
            "stages": [{
              "name": "Demo stage",
              "stage_order": 1,
              "mode": "any-n",
              "mode_value": 1,
              "rules": [{"rule_type": "user", "rule_value": {"user_id": "u-alice"}}]
            }]
          }
        """;

    private const string CreateRequest = """
        {
            "policy_key": "demo.v1",
            "artifact_type": "demo.artifact",
            "artifact_id": "demo-1",
            "context": {}
          }
        """;

    [Fact]
    public async Task Seed_smoke_test_on_postgres()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var app = new AweApp(db.ConnectionString);
        await RunSeedSmokeTest(app.ClientFor(Tokens.SeedAdmin));
    }

    [Fact]
    public async Task Seed_smoke_test_on_embedded_sqlite()
    {
        var file = Path.Combine(Path.GetTempPath(), $"awe-smoke-{Guid.NewGuid():N}.db");
        try
        {
            await using var app = new AweApp($"Data Source={file}");
            await RunSeedSmokeTest(app.ClientFor(Tokens.SeedAdmin));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var f in new[] { file, file + "-wal", file + "-shm" }) File.Delete(f);
        }
    }

    private static async Task RunSeedSmokeTest(HttpClient client)
    {
        (await client.PostJson("/v1/awe/policies", CreatePolicy)).Expect(HttpStatusCode.Created);
        var activated = (await client.PostJson("/v1/awe/policies/demo.v1/versions/1/activate")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("active", (string?)activated["status"]);

        var created = (await client.PostJson("/v1/awe/requests", CreateRequest)).Expect(HttpStatusCode.Created).Json;
        Assert.Equal("in_review", (string?)created["status"]);
        var task = Assert.Single(created["tasks"]!.AsArray())!;
        Assert.Equal("u-alice", (string?)task["assignee"]);

        (await client.PostJson($"/v1/awe/tasks/{task["id"]}/decision", """{"action": "approve"}""")).Expect(HttpStatusCode.Created);

        var request = (await client.GetJson($"/v1/awe/requests/{created["request_id"]}")).Expect(HttpStatusCode.OK).Json;
        Assert.Equal("approved", (string?)request["status"]);
    }
}
