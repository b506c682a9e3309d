using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Operations;

/// <summary>
/// A typo in a key and a value of the wrong type stop start-up like a range error does: one line each, naming the
/// key as config/default.yaml spells it. The host is a real process configured through environment variables.
/// </summary>
public sealed class ConfigurationShapeTests
{
    private static async Task<string> FailedStartAsync(Dictionary<string, string?> environment)
    {
        // The configuration is refused before any database is touched.
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            HostProcess.StartAsync("Host=127.0.0.1;Port=1;Database=never;Username=nobody", environment));
        return failure.Message;
    }

    private static string[] ProblemLines(string output) =>
        output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("- awe.")).Select(l => l[2..]).Distinct().ToArray();

    [Fact]
    public async Task A_type_error_gets_the_same_one_line_message_as_a_range_error()
    {
        var typeError = ProblemLines(await FailedStartAsync(new() { ["AWE__WEBHOOK__MAX_ATTEMPTS"] = "abc" }));
        var rangeError = ProblemLines(await FailedStartAsync(new() { ["AWE__WEBHOOK__MAX_ATTEMPTS"] = "0" }));

        Assert.Equal(["awe.webhook.max_attempts must be a whole number (got 'abc')"], typeError);
        Assert.Equal(["awe.webhook.max_attempts must be ≥ 1 (got 0)"], rangeError);
    }

    [Fact]
    public async Task Unknown_keys_are_refused_by_name_all_at_once()
    {
        var lines = ProblemLines(await FailedStartAsync(new()
        {
            ["AWE__WEBHOOK__MAX_ATEMPTS"] = "8",
            ["AWE__KEYCLOAK__ISSUER_URL"] = "https://keycloak.example.org/realms/staff",
            ["AWE__NOTIFIER__ENABLED"] = "yes",
            ["AWE__WEBHOOK__BACKOFF_SECONDS__1"] = "soon",
        }));

        Assert.Equal(4, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("awe.webhook.max_atempts is not a setting (settings under awe.webhook: timeout_seconds, max_attempts,"));
        Assert.Contains(lines, l => l.StartsWith("awe.keycloak.issuer_url is not a setting (settings under awe.keycloak:"));
        Assert.Contains("awe.notifier.enabled must be true or false (got 'yes')", lines);
        Assert.Contains("awe.webhook.backoff_seconds[1] must be a whole number (got 'soon')", lines);
    }

    [Fact]
    public async Task An_issuer_or_jwks_url_rendered_without_its_base_url_is_refused()
    {
        // What a chart with an empty keycloakBaseUrl used to render: every call then answered 503 while health was green.
        var lines = ProblemLines(await FailedStartAsync(new()
        {
            ["AWE__KEYCLOAK__ISSUER"] = "/realms/staff",
            ["AWE__KEYCLOAK__JWKS_URL"] = "/realms/staff/protocol/openid-connect/certs",
        }));
        Assert.Contains(lines, l => l.StartsWith("awe.keycloak.issuer must be an absolute http(s) URL"));
        Assert.Contains(lines, l => l.StartsWith("awe.keycloak.jwks_url must be an absolute http(s) URL"));
    }
}
