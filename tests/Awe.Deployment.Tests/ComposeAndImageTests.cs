using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Awe.Deployment.Tests;

/// <summary>docker-compose.yml, the Dockerfiles and the compose realm file, read as files (no Docker engine here).</summary>
public sealed class ComposeAndImageTests
{
    private static JsonNode Compose => Yaml.Parse(Repo.Read("docker-compose.yml"))!;

    [Fact]
    public void Compose_starts_in_health_order()
    {
        var services = Compose["services"]!;
        Assert.Equal("service_healthy", (string)services["awe"]!["depends_on"]!["postgres"]!["condition"]!);
        Assert.Equal("service_healthy", (string)services["awe-ui"]!["depends_on"]!["awe"]!["condition"]!);
        Assert.NotNull(services["postgres"]!["healthcheck"]);
        var awe = services["awe"]!["healthcheck"]!["test"]!.AsArray().Select(t => (string)t!).ToList();
        Assert.Equal(["CMD", "dotnet", "Awe.Host.dll", "healthcheck", "http://127.0.0.1:8000/v1/awe/health/ready"], awe);
    }

    [Fact]
    public void Every_published_port_is_on_loopback_only()
    {
        var ports = Compose["services"]!.AsObject()
            .SelectMany(s => s.Value!["ports"]?.AsArray().Select(p => (Service: s.Key, Port: (string)p!)) ?? []).ToList();
        Assert.True(ports.Count >= 6);
        Assert.All(ports, p => Assert.StartsWith("127.0.0.1:", p.Port));
    }

    [Fact]
    public void Optional_images_are_pinned_and_behind_profiles()
    {
        var services = Compose["services"]!;
        foreach (var (name, profile) in new[] { ("keycloak", "keycloak"), ("mailpit", "mail") })
        {
            Assert.Equal([profile], services[name]!["profiles"]!.AsArray().Select(p => (string)p!));
            var image = (string)services[name]!["image"]!;
            Assert.Matches(new Regex(@":v?[0-9]+\.[0-9]+\.[0-9]+$"), image);
        }
        Assert.Contains("--import-realm", services["keycloak"]!["command"]!.AsArray().Select(c => (string)c!));
        Assert.Contains("./deploy/keycloak:/opt/keycloak/data/import:ro", services["keycloak"]!["volumes"]!.AsArray().Select(v => (string)v!));
    }

    [Theory]
    [InlineData("Awe.Host/Dockerfile", "Awe.Host.dll")]
    [InlineData("Awe.Studio/Dockerfile", "Awe.Studio.dll")]
    public void Images_are_multi_stage_on_pinned_dotnet_images_run_as_non_root_and_check_their_health(string file, string dll)
    {
        var text = Repo.Read(file);
        var sdk = (string)JsonNode.Parse(Repo.Read("global.json"))!["sdk"]!["version"]!;
        Assert.Contains($"ARG DOTNET_SDK_VERSION={sdk}", text);
        Assert.Matches(new Regex(@"ARG DOTNET_RUNTIME_VERSION=10\.0\.[0-9]+\n"), text);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_SDK_VERSION} AS build", text);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_RUNTIME_VERSION} AS runtime", text);
        Assert.Contains("COPY --from=build /app ./", text);
        Assert.Contains("\nUSER $APP_UID\n", text);
        Assert.Contains("\nHEALTHCHECK ", text);
        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"{dll}\"]", text);
        // USER comes after the last RUN: nothing at run time is root.
        Assert.True(text.LastIndexOf("\nRUN ", StringComparison.Ordinal) < text.IndexOf("\nUSER ", StringComparison.Ordinal));
    }

    [Fact]
    public void The_api_image_reports_its_build_and_checks_itself_with_its_own_binary()
    {
        var text = Repo.Read("Awe.Host/Dockerfile");
        Assert.Contains("ARG BUILD_TIME", text);
        Assert.Contains("ARG GIT_COMMIT", text);
        Assert.Contains("BUILD_TIME=${BUILD_TIME}", text);
        Assert.Contains("GIT_COMMIT=${GIT_COMMIT}", text);
        Assert.Contains("CMD [\"dotnet\", \"Awe.Host.dll\", \"healthcheck\"]", text);
        Assert.Contains("EXPOSE 8000 9090", text);
    }

    [Fact]
    public void The_build_context_leaves_out_build_output_and_deployment_files()
    {
        var ignored = Repo.Read(".dockerignore").Split('\n').Select(l => l.Trim()).ToHashSet();
        foreach (var entry in new[] { "**/bin", "**/obj", ".git", "helm", "docker-compose.yml", "**/TestResults" })
            Assert.Contains(entry, ignored);
        Assert.DoesNotContain("config", ignored); // the image copies config/
    }

    private static JsonNode Realm => JsonNode.Parse(Repo.Read("deploy/keycloak/staff-realm.json"))!;

    private static JsonNode ChartRealm => Yaml.Parse(Repo.Read("helm/openg2p-awe/values.yaml"))!["keycloak-init"]!["realms"]!["staff"]!;

    [Fact]
    public void The_compose_realm_creates_what_keycloak_init_creates()
    {
        var realm = Realm;
        var chart = ChartRealm;
        Assert.Equal("staff", (string)realm["realm"]!);
        Assert.Equal(chart["realmRoles"]!.AsArray().Select(r => (string)r!),
            realm["roles"]!["realm"]!.AsArray().Select(r => (string)r!["name"]!));

        var clients = realm["clients"]!.AsArray().ToDictionary(c => (string)c!["clientId"]!, c => c!);
        var chartClients = chart["clients"]!.AsArray().ToDictionary(c => (string)c!["clientId"]!, c => c!);
        Assert.Equal(chartClients.Keys.Order(), clients.Keys.Order());
        foreach (var (id, expected) in chartClients)
        {
            var actual = clients[id];
            Assert.Equal((bool)expected["publicClient"]!, (bool)actual["publicClient"]!);
            Assert.Equal((bool?)expected["serviceAccountsEnabled"] ?? false, (bool?)actual["serviceAccountsEnabled"] ?? false);
            Assert.Equal((bool?)expected["standardFlowEnabled"] ?? true, (bool?)actual["standardFlowEnabled"] ?? true);
            Assert.Equal((string?)expected["attributes"]?["pkce.code.challenge.method"], (string?)actual["attributes"]?["pkce.code.challenge.method"]);
            var clientRoles = expected["clientRoles"]?.AsArray().Select(r => (string)r!).ToList() ?? [];
            Assert.Equal(clientRoles, realm["roles"]!["client"]![id]?.AsArray().Select(r => (string)r!["name"]!).ToList() ?? []);
        }
        // The same shape of redirect, on the compose host instead of global.aweHostname; never a wildcard origin.
        Assert.Equal(["http://localhost:8080/*"], clients["awe-admin-portal"]["redirectUris"]!.AsArray().Select(u => (string)u!));
        Assert.Equal(["http://localhost:8080"], clients["awe-admin-portal"]["webOrigins"]!.AsArray().Select(u => (string)u!));

        var serviceAccount = realm["users"]!.AsArray().Single(u => (string?)u!["serviceAccountClientId"] == "awe-admin-resolver")!;
        var chartServiceAccount = chart["users"]!.AsArray().Single(u => (string)u!["username"]! == "service-account-awe-admin-resolver")!;
        Assert.Equal((string)chartServiceAccount["username"]!, (string)serviceAccount["username"]!);
        Assert.Equal(chartServiceAccount["clientRoleMappings"]!["realm-management"]!.AsArray().Select(r => (string)r!),
            serviceAccount["clientRoles"]!["realm-management"]!.AsArray().Select(r => (string)r!));
    }

    [Fact]
    public void The_compose_realm_has_an_admin_a_viewer_and_the_smoke_tests_approver()
    {
        var users = Realm["users"]!.AsArray().Where(u => u!["serviceAccountClientId"] is null).ToDictionary(u => (string)u!["username"]!, u => u!);
        Assert.Equal(["AWE_ADMIN"], users["awe-admin"]["realmRoles"]!.AsArray().Select(r => (string)r!));
        Assert.Equal(["AWE_VIEWER"], users["awe-viewer"]["realmRoles"]!.AsArray().Select(r => (string)r!));
        Assert.Contains("u-alice", users.Keys);
        Assert.All(users.Values, u => Assert.NotNull(u["credentials"]));
    }
}
