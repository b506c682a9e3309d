using System.Security.Cryptography;
using Awe.Host.Tests.Infrastructure;
using Npgsql;
using static Awe.Host.Tests.Webhooks.WebhookKit;

namespace Awe.Host.Tests.Operations;

/// <summary>
/// awe.data_protection.master_key: the key ring in the database is stored encrypted, and a replica (or a restarted
/// host) holding the same key signs with the secrets stored earlier.
/// </summary>
public sealed class MasterKeyTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private Dictionary<string, string?> Settings(string? masterKey) => new()
    {
        ["awe:data_protection:master_key"] = masterKey,
        ["awe:outbound:allow_private_networks"] = "true",
        ["awe:webhook:poll_interval_seconds"] = "1",
    };

    private async Task<List<string>> KeyRingAsync()
    {
        await using var conn = new NpgsqlConnection(_db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT \"Xml\" FROM data_protection_key", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }

    [Fact]
    public async Task The_key_ring_is_encrypted_at_rest_and_another_process_with_the_key_signs_with_a_stored_secret()
    {
        var service = NewService("masterkey");
        string secretId, secret;
        await using (var first = await HostProcess.StartAsync(_db.ConnectionString, Settings(_masterKey)))
            (secretId, secret) = await IssueSecretAsync(first.ClientFor(Tokens.Admin), service);

        var ring = Assert.Single(await KeyRingAsync());
        Assert.Contains("aweMasterKeyEncrypted", ring);
        Assert.DoesNotContain("<masterKey", ring); // the framework's plaintext key element

        await using var second = await HostProcess.StartAsync(_db.ConnectionString, Settings(_masterKey));
        await using var receiver = await WebhookReceiver.StartAsync();
        var key = await PolicyAsync(second.ClientFor(Tokens.Admin), "masterkey");
        await RequestAsync(second.ClientFor(Tokens.Service(service)), key, receiver.Url(), callbackSecretId: secretId);
        await receiver.WaitForAsync(r => r.Count >= 1, "the first delivery");
        AssertSignedBy(receiver.Received[0], secret);
    }

    [Fact]
    public async Task Without_a_master_key_the_ring_is_stored_as_the_framework_writes_it()
    {
        await using (var host = await HostProcess.StartAsync(_db.ConnectionString, Settings(null)))
            await IssueSecretAsync(host.ClientFor(Tokens.Admin), NewService("nokey"));

        var ring = Assert.Single(await KeyRingAsync());
        Assert.DoesNotContain("aweMasterKeyEncrypted", ring);
        Assert.Contains("<masterKey", ring);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")] // "short": valid base64, 5 bytes
    public async Task A_malformed_master_key_stops_start_up_with_one_line_naming_the_key(string value)
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => HostProcess.StartAsync(_db.ConnectionString, Settings(value)));
        Assert.Contains("awe.data_protection.master_key must be 32 random bytes in base64", failure.Message);
    }
}
