using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Awe.Deployment.Tests;

/// <summary>values.yaml against values.schema.json (what Helm checks at install), Chart.yaml's init charts, and the
/// Keycloak and PostgreSQL provisioning values the deployment guide describes.</summary>
public sealed class ChartValuesTests
{
    private static JsonNode Values() => Yaml.Parse(Repo.Read($"{Repo.Chart}/values.yaml"))!;

    private static EvaluationResults Validate(JsonNode values)
    {
        var schema = JsonSchema.FromText(Repo.Read($"{Repo.Chart}/values.schema.json"));
        using var doc = JsonDocument.Parse(values.ToJsonString());
        return schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Describe(EvaluationResults r) =>
        string.Join("\n", (r.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [Fact]
    public void Values_yaml_validates_against_the_schema()
    {
        var result = Validate(Values());
        Assert.True(result.IsValid, Describe(result));
    }

    [Theory]
    [InlineData("/awe/replicaCount", "\"two\"")]
    [InlineData("/awe/replicaCount", "0")]
    [InlineData("/global/aweHostname", "\"https://awe.example.org/\"")]
    [InlineData("/global/keycloakBaseUrl", "\"keycloak.example.org\"")]
    [InlineData("/awe/containerPort", "70000")]
    [InlineData("/awe/image/pullPolicy", "\"Sometimes\"")]
    [InlineData("/awe/containerSecurityContext/allowPrivilegeEscalation", "true")]
    [InlineData("/awe/podSecurityContext/runAsNonRoot", "false")]
    [InlineData("/ui/containerSecurityContext/capabilities/drop", "[\"NET_RAW\"]")]
    [InlineData("/awe/replicaCuont", "3")]
    [InlineData("/istio/virtualservice/forwardedProto", "\"ftp\"")]
    [InlineData("/awe/autoscaling/targetCPUUtilizationPercentage", "150")]
    [InlineData("/keycloak-init/realms/staff/clients/0/redirectUris", "[\"*\"]")]
    [InlineData("/keycloak-init/realms/staff/clients/0/webOrigins", "[\"*\"]")]
    [InlineData("/awe/config/sla/check_interval_seconds", "0")]
    [InlineData("/awe/config/sla/fire_parallelism", "100")]
    [InlineData("/awe/config/sla/fire_backoff_seconds", "[]")]
    [InlineData("/awe/config/notifier/enabled", "\"yes\"")]
    [InlineData("/awe/config/notifier/smtp_port", "70000")]
    [InlineData("/awe/config/notifier/smtp_password", "\"in-plain-values\"")]
    [InlineData("/awe/config/calendars/office", "{\"working_days\": [\"mon\"]}")]
    [InlineData("/awe/config/calendars/office", "{\"time_zone\": \"UTC\", \"working_days\": [\"someday\"]}")]
    public void A_wrong_value_fails_the_schema(string pointer, string json)
    {
        var values = Values();
        Set(values, pointer, JsonNode.Parse(json));
        Assert.False(Validate(values).IsValid, $"{pointer} = {json} should be refused");
    }

    /// <summary>
    /// The chart spells out the deadline and mail settings so operators see them; its values are config/default.yaml's,
    /// so installing the chart changes no default (a literal here must follow a change of the default there).
    /// </summary>
    [Theory]
    [InlineData("sla")]
    [InlineData("notifier")]
    public void Chart_settings_repeat_the_defaults_of_config(string section)
    {
        var chart = Values()["awe"]!["config"]![section]!.AsObject();
        var defaults = Yaml.Parse(Repo.Read("config/default.yaml"))!["awe"]![section]!.AsObject();
        Assert.NotEmpty(chart);
        foreach (var (key, value) in chart)
        {
            Assert.True(defaults.ContainsKey(key), $"{section}.{key} is not a setting");
            if (value is JsonValue v && v.TryGetValue<string>(out var text) && text.Contains("{{")) continue; // rendered by the chart
            Assert.True(JsonNode.DeepEquals(defaults[key], value), $"{section}.{key}: chart {value?.ToJsonString()} but config/default.yaml {defaults[key]?.ToJsonString()}");
        }
        // Every mail setting but the password (a Secret, through envVarsFrom) and the templates (long Liquid text).
        if (section == "notifier")
            Assert.Equal(defaults.Select(kv => kv.Key).Except(["smtp_password", "templates"]).Order(), chart.Select(kv => kv.Key).Order());
        else
            Assert.Equal(defaults.Select(kv => kv.Key).Order(), chart.Select(kv => kv.Key).Order());
    }

    [Fact]
    public void Calendars_in_values_take_the_shape_the_host_reads()
    {
        var values = Values();
        values["awe"]!["config"]!["calendars"] = JsonNode.Parse("""
            {"office": {"time_zone": "Europe/Berlin", "working_days": ["mon", "tue", "wed", "thu", "fri"], "day_start": "09:00", "day_end": "17:00", "holidays": ["2026-12-25"]}}
            """);
        var result = Validate(values);
        Assert.True(result.IsValid, Describe(result));
    }

    private static void Set(JsonNode root, string pointer, JsonNode? value)
    {
        var parts = pointer.Trim('/').Split('/');
        var parent = parts[..^1].Aggregate(root, (node, part) => int.TryParse(part, out var i) ? node[i]! : node[part]!);
        if (parent is JsonArray array) array[int.Parse(parts[^1])] = value;
        else parent[parts[^1]] = value;
    }

    [Fact]
    public void Chart_yaml_declares_both_init_charts_switched_by_their_enabled_value()
    {
        var chart = Yaml.Parse(Repo.Read($"{Repo.Chart}/Chart.yaml"))!;
        var dependencies = chart["dependencies"]!.AsArray().ToDictionary(d => (string)d!["name"]!, d => d!);
        Assert.Equal(["postgres-init", "keycloak-init"], dependencies.Keys);
        foreach (var (name, dep) in dependencies)
        {
            Assert.Equal($"{name}.enabled", (string)dep["condition"]!);
            Assert.StartsWith("https://", (string)dep["repository"]!);
            Assert.False(string.IsNullOrEmpty((string?)dep["version"]));
            Assert.True((bool)Values()[name]!["enabled"]!);
        }
    }

    [Fact]
    public void Required_settings_have_values()
    {
        var global = Values()["global"]!;
        foreach (var key in new[] { "aweHostname", "keycloakBaseUrl", "keycloakRealm", "postgresqlHost", "aweDB", "aweDBUser", "aweDBSecret" })
            Assert.False(string.IsNullOrWhiteSpace((string?)global[key]), $"global.{key}");
    }

    private static JsonNode Client(string id) =>
        Values()["keycloak-init"]!["realms"]!["staff"]!["clients"]!.AsArray().Single(c => (string)c!["clientId"]! == id)!;

    [Fact]
    public void The_portal_is_a_public_pkce_client_whose_redirects_and_origins_come_from_the_hostname()
    {
        var portal = Client("awe-admin-portal");
        Assert.True((bool)portal["publicClient"]!);
        Assert.Equal("S256", (string)portal["attributes"]!["pkce.code.challenge.method"]!);
        var host = "{{ tpl .Values.global.aweHostname $ }}";
        Assert.Equal([$"https://{host}/*"], portal["redirectUris"]!.AsArray().Select(u => (string)u!));
        Assert.Equal([$"https://{host}"], portal["webOrigins"]!.AsArray().Select(u => (string)u!));
        Assert.Equal(["AWE_ADMIN", "AWE_VIEWER"], portal["clientRoles"]!.AsArray().Select(r => (string)r!));
    }

    [Fact]
    public void The_resolver_is_a_confidential_service_account_with_read_roles_on_the_realm()
    {
        var resolver = Client("awe-admin-resolver");
        Assert.False((bool)resolver["publicClient"]!);
        Assert.True((bool)resolver["serviceAccountsEnabled"]!);
        var realm = Values()["keycloak-init"]!["realms"]!["staff"]!;
        Assert.Equal(["AWE_ADMIN", "AWE_VIEWER"], realm["realmRoles"]!.AsArray().Select(r => (string)r!));
        var serviceAccount = realm["users"]!.AsArray().Single(u => (string)u!["username"]! == "service-account-awe-admin-resolver")!;
        Assert.Equal(["view-users", "view-clients", "query-groups", "query-users"],
            serviceAccount["clientRoleMappings"]!["realm-management"]!.AsArray().Select(r => (string)r!));
        // The realm key of keycloak-init is global.keycloakRealm's default (map keys cannot be templated).
        Assert.Equal((string)Values()["global"]!["keycloakRealm"]!, Values()["keycloak-init"]!["realms"]!.AsObject().Single().Key);
    }

    [Fact]
    public void Postgres_init_creates_the_database_and_role_the_api_connects_with()
    {
        var db = Values()["postgres-init"]!["databases"]!.AsArray().Single()!;
        Assert.Equal("{{ tpl .Values.global.aweDB $ }}", (string)db["name"]!);
        Assert.Equal("{{ tpl .Values.global.aweDBUser $ }}", (string)db["user"]!);
        var deployment = Repo.Read($"{Repo.Chart}/templates/deployment-awe.yaml");
        Assert.Contains("(tpl .Values.global.aweDB $) (tpl .Values.global.aweDBUser $)", deployment);
        Assert.Contains("Password=$(AWE_DB_PASSWORD)", deployment);
    }

    [Fact]
    public void Every_setting_of_values_yaml_is_documented_by_a_comment_above_it()
    {
        var undocumented = new List<string>();
        var previous = "";
        foreach (var line in Repo.Read($"{Repo.Chart}/values.yaml").Split('\n'))
        {
            if (System.Text.RegularExpressions.Regex.IsMatch(line, "^  [A-Za-z][A-Za-z0-9]*:") && !previous.TrimStart().StartsWith('#'))
                undocumented.Add(line.Trim());
            if (line.Trim().Length > 0) previous = line;
        }
        Assert.True(undocumented.Count == 0, "no comment above: " + string.Join(", ", undocumented));
    }
}
