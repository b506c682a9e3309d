using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Contract;

/// <summary>awe.workflows.import_dir: the folder's policies applied at start, idempotently, by real host processes on PostgreSQL.</summary>
public sealed class WorkflowImportTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("awe-import-").FullName;
    private TestDatabase db = null!;

    public async Task InitializeAsync()
    {
        db = await TestDatabase.CreateAsync();
        foreach (var file in Directory.GetFiles(Path.Combine(OpenApiDocumentTests.RepositoryRoot(), "workflows"), "*.json"))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
    }

    public async Task DisposeAsync()
    {
        await db.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    private List<string> Keys() =>
        Directory.GetFiles(folder, "*.json").Select(f => JsonNode.Parse(File.ReadAllText(f))!["policy_key"]!.GetValue<string>()).ToList();

    private Dictionary<string, string?> Settings => new() { ["awe:workflows:import_dir"] = folder };

    private static async Task<List<(int Version, string Status)>> Versions(HostProcess host, string key) =>
        (await host.ClientFor(Tokens.Admin).GetJson($"/v1/awe/policies/{key}/versions")).Expect(HttpStatusCode.OK).Json.AsArray()
        .Select(v => (v!["version"]!.GetValue<int>(), v["status"]!.GetValue<string>())).ToList();

    [Fact]
    public async Task Start_imports_and_activates_the_folder_and_a_restart_changes_nothing()
    {
        await using (var host = await HostProcess.StartAsync(db.ConnectionString, Settings))
        {
            foreach (var key in Keys()) Assert.Equal([(1, "active")], await Versions(host, key));
            // Usable at once: the smoke test's request runs on the imported demo.v1.
            (await host.ClientFor(Tokens.Admin).PostJson("/v1/awe/requests",
                new JsonObject { ["policy_key"] = "demo.v1", ["artifact_type"] = "demo.artifact", ["artifact_id"] = "imported-1" })).Expect(HttpStatusCode.Created);
        }

        await using (var again = await HostProcess.StartAsync(db.ConnectionString, Settings))
            Assert.Equal([(1, "active")], await Versions(again, "demo.v1"));

        var path = Path.Combine(folder, "demo.v1.json");
        var changed = JsonNode.Parse(File.ReadAllText(path))!;
        changed["name"] = "Demo approval, renamed";
        File.WriteAllText(path, changed.ToJsonString());
        await using var third = await HostProcess.StartAsync(db.ConnectionString, Settings);
        Assert.Equal([(2, "active"), (1, "archived")], await Versions(third, "demo.v1"));
        Assert.Equal([(1, "active")], await Versions(third, "payment.by_amount"));
        var audit = (await third.ClientFor(Tokens.Admin).GetJson("/v1/awe/admin/audit?action=policy.import")).Expect(HttpStatusCode.OK).Json.AsArray();
        Assert.Equal(Keys().Count + 1, audit.Count);
    }

    [Fact]
    public async Task Replicas_starting_together_import_each_policy_once()
    {
        // Migrated beforehand: two fresh replicas migrating the same empty database at once is a separate matter.
        await (await HostProcess.StartAsync(db.ConnectionString)).DisposeAsync();
        var starts = Enumerable.Range(0, 2).Select(_ => HostProcess.StartAsync(db.ConnectionString, Settings)).ToList();
        try
        {
            // Both start (a lost race would crash one on the unique version index) and each policy has one version.
            var hosts = await Task.WhenAll(starts);
            foreach (var key in Keys()) Assert.Equal([(1, "active")], await Versions(hosts[0], key));
        }
        finally
        {
            // A replica that started is stopped even when the other failed.
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully)) await start.Result.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_invalid_file_stops_the_start_and_imports_nothing()
    {
        File.WriteAllText(Path.Combine(folder, "zz-broken.json"), """{"policy_key": "broken", "name": "b", "artifact_type": "a", "stages": [{"name": "s", "stage_order": 0}]}""");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => HostProcess.StartAsync(db.ConnectionString, Settings));
        Assert.Contains("zz-broken.json: stages[0].stage_order: must be ≥ 1 (got 0)", e.Message);

        File.Delete(Path.Combine(folder, "zz-broken.json"));
        await using var host = await HostProcess.StartAsync(db.ConnectionString);
        Assert.Equal(HttpStatusCode.NotFound, (await host.ClientFor(Tokens.Admin).GetJson("/v1/awe/policies/demo.v1/versions")).Status);
    }
}
