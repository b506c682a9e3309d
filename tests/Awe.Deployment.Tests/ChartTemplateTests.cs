using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Awe.Deployment.Tests;

/// <summary>
/// The chart's templates without Helm: each is YAML once its actions are stripped, every .Values path exists, and
/// the cross-references a renderer would not check hold (selectors, ports, Service and Secret names).
/// </summary>
public sealed partial class ChartTemplateTests
{
    private static readonly string TemplateDir = Repo.PathOf($"{Repo.Chart}/templates");

    public static IEnumerable<object[]> Templates() =>
        Directory.EnumerateFiles(TemplateDir, "*.yaml").Select(f => new object[] { Path.GetFileName(f) });

    private static string Template(string name) => File.ReadAllText(Path.Combine(TemplateDir, name));

    private static JsonObject Manifest(string name) =>
        Yaml.Documents(Yaml.StripTemplate(Template(name))).OfType<JsonObject>().Single();

    private static JsonNode Values => Yaml.Parse(Repo.Read($"{Repo.Chart}/values.yaml"))!;

    [Theory]
    [MemberData(nameof(Templates))]
    public void Every_template_is_a_kubernetes_manifest_once_the_actions_are_stripped(string name)
    {
        var documents = Yaml.Documents(Yaml.StripTemplate(Template(name))).OfType<JsonObject>().ToList();
        Assert.NotEmpty(documents);
        foreach (var doc in documents)
        {
            Assert.False(string.IsNullOrEmpty((string?)doc["apiVersion"]), $"{name}: apiVersion");
            Assert.False(string.IsNullOrEmpty((string?)doc["kind"]), $"{name}: kind");
            Assert.NotNull(doc["metadata"]?["name"]);
            // Every object carries the release label that scripts/teardown.sh sweeps by.
            Assert.Contains("include \"openg2p-awe.labels\"", Template(name));
        }
    }

    [Fact]
    public void Every_values_path_the_chart_uses_exists_in_values_yaml()
    {
        var values = Values;
        var sources = Directory.EnumerateFiles(TemplateDir).Select(File.ReadAllText).Append(Repo.Read($"{Repo.Chart}/values.yaml"));
        var missing = new SortedSet<string>();
        var seen = 0;
        foreach (var source in sources)
        {
            foreach (Match m in ValuesPath().Matches(source))
            {
                seen++;
                JsonNode? node = values;
                foreach (var part in m.Groups[1].Value.Split('.', StringSplitOptions.RemoveEmptyEntries))
                    node = node is JsonObject o && o.ContainsKey(part) ? o[part] ?? JsonValue.Create("") : null;
                if (node is null) missing.Add(m.Value);
            }
            foreach (Match m in IndexedValuesPath().Matches(source))
            {
                seen++;
                if (values[m.Groups[1].Value]?[m.Groups[2].Value] is null) missing.Add(m.Value);
            }
        }
        Assert.True(seen > 50, $"only {seen} .Values references found: is the pattern right?");
        Assert.True(missing.Count == 0, "not in values.yaml: " + string.Join(", ", missing));
    }

    [GeneratedRegex(@"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")]
    private static partial Regex ValuesPath();

    [GeneratedRegex(@"index \.Values ""([^""]+)"" ""([^""]+)""")]
    private static partial Regex IndexedValuesPath();

    /// <summary>The component passed to the selector-labels helper right after <paramref name="anchor"/>.</summary>
    private static string ComponentAfter(string template, string anchor)
    {
        var at = template.IndexOf(anchor, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{anchor}' not found");
        var m = SelectorInclude().Match(template, at);
        Assert.True(m.Success, $"no selector labels after '{anchor}'");
        return m.Groups[1].Value;
    }

    [GeneratedRegex(@"include ""openg2p-awe\.selectorLabels"" \(dict ""root"" \$ ""component"" ""([^""]+)""\)")]
    private static partial Regex SelectorInclude();

    [Theory]
    [InlineData("deployment-awe.yaml", "service-awe.yaml", "awe")]
    [InlineData("deployment-awe-ui.yaml", "service-awe-ui.yaml", "awe-ui")]
    public void Service_selectors_match_the_pod_labels_of_their_deployment(string deployment, string service, string component)
    {
        var d = Template(deployment);
        var pods = ComponentAfter(d, "template:\n    metadata:\n      labels:");
        Assert.Equal(component, pods);
        Assert.Equal(pods, ComponentAfter(d, "matchLabels:"));
        Assert.Equal(pods, ComponentAfter(Template(service), "selector:"));
    }

    [Theory]
    [InlineData("pdb-awe.yaml")]
    [InlineData("servicemonitor-awe.yaml")]
    public void Budget_and_monitor_select_the_api_pods(string name) =>
        Assert.Equal("awe", ComponentAfter(Template(name), "matchLabels:"));

    private static JsonObject Container(string deployment) =>
        (JsonObject)Manifest(deployment)["spec"]!["template"]!["spec"]!["containers"]![0]!;

    [Theory]
    [InlineData("deployment-awe.yaml", "service-awe.yaml", "awe")]
    [InlineData("deployment-awe-ui.yaml", "service-awe-ui.yaml", "ui")]
    public void Probe_and_service_ports_name_ports_the_container_declares(string deployment, string service, string valuesKey)
    {
        var declared = Container(deployment)["ports"]!.AsArray().Select(p => (string)p!["name"]!).ToHashSet();
        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            var port = Values[valuesKey]![probe]?["httpGet"]?["port"];
            Assert.True(port is not null, $"{valuesKey}.{probe} has no httpGet port");
            Assert.Contains((string)port!, declared);
        }
        foreach (var p in Manifest(service)["spec"]!["ports"]!.AsArray())
            Assert.Contains((string)p!["targetPort"]!, declared);
    }

    [Fact]
    public void Api_probes_split_liveness_from_readiness()
    {
        var awe = Values["awe"]!;
        Assert.Equal("/v1/awe/health/live", (string)awe["livenessProbe"]!["httpGet"]!["path"]!);
        Assert.Equal("/v1/awe/health/live", (string)awe["startupProbe"]!["httpGet"]!["path"]!);
        Assert.Equal("/v1/awe/health/ready", (string)awe["readinessProbe"]!["httpGet"]!["path"]!);
        // The metrics port is the host's management port.
        var deployment = Template("deployment-awe.yaml");
        Assert.Contains("containerPort: {{ .Values.awe.managementPort }}", deployment);
        Assert.Contains("name: AWE__SERVER__MANAGEMENT_PORT\n              value: {{ .Values.awe.managementPort | quote }}", deployment);
        Assert.Contains("prometheus.io/port: {{ .Values.awe.managementPort | quote }}", deployment);
    }

    /// <summary>The name helper of the first metadata.name in a template.</summary>
    private static string NameHelper(string template)
    {
        var m = NameInclude().Match(template);
        Assert.True(m.Success);
        return m.Groups[1].Value;
    }

    [GeneratedRegex(@"metadata:\s*\n\s*name: \{\{ include ""([^""]+)"" \. \}\}")]
    private static partial Regex NameInclude();

    [Fact]
    public void The_virtual_service_routes_the_api_first_and_studio_last_to_services_that_exist()
    {
        var vs = Template("virtualservice.yaml");
        var services = new[] { "service-awe.yaml", "service-awe-ui.yaml" }.Select(s => NameHelper(Template(s))).ToHashSet();
        var hosts = DestinationHost().Matches(vs).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["openg2p-awe.name", "openg2p-awe.uiName"], hosts);
        Assert.All(hosts, h => Assert.Contains(h, services));
        // Ports: the API Service's http port, never its metrics port.
        Assert.Contains("number: {{ .Values.awe.service.port }}", vs);
        Assert.Contains("number: {{ .Values.ui.service.port }}", vs);
        Assert.DoesNotContain("metricsPort", vs);

        var http = Manifest("virtualservice.yaml")["spec"]!["http"]!.AsArray();
        Assert.Equal("/v1/awe/", (string)http[0]!["match"]![0]!["uri"]!["prefix"]!);
        Assert.Equal("/", (string)http[^1]!["match"]![0]!["uri"]!["prefix"]!);
        Assert.All(http, route => Assert.NotNull(route!["headers"]!["request"]!["set"]!["x-forwarded-proto"]));
        Assert.NotNull(http[^1]!["timeout"]); // Blazor's WebSocket outlives the default route timeout
    }

    [GeneratedRegex(@"destination:\s*\n\s*host: \{\{ include ""([^""]+)"" \. \}\}")]
    private static partial Regex DestinationHost();

    [Fact]
    public void Every_secret_the_api_reads_is_one_the_chart_or_its_init_charts_create()
    {
        var deployment = Template("deployment-awe.yaml");
        var names = SecretRefName().Matches(deployment).Select(m => m.Groups[1].Value.Trim()).ToList();
        Assert.Equal(4, names.Count);
        foreach (var name in names)
        {
            switch (name)
            {
                case "{{ include \"openg2p-awe.dataProtectionSecretName\" . }}":
                    Assert.Contains("$name := include \"openg2p-awe.dataProtectionSecretName\" .", Template("secret-data-protection.yaml"));
                    Assert.Contains("name: {{ $name }}", Template("secret-data-protection.yaml"));
                    break;
                case "{{ include \"openg2p-awe.dbSecretName\" . }}":
                    Assert.Equal("openg2p-awe.dbSecretName", IncludeName().Match(Template("secret-db.yaml")).Groups[1].Value);
                    break;
                case "{{ tpl $db.existingSecret $ }}":
                    break; // named by the operator
                case "{{ tpl .Values.global.aweDBSecret $ }}":
                    // postgres-init writes the role's password into exactly this Secret and key.
                    var database = Values["postgres-init"]!["databases"]![0]!;
                    Assert.Equal("{{ tpl .Values.global.aweDBSecret $ }}", (string)database["secret"]!);
                    Assert.Equal("{{ tpl .Values.global.aweDBUserPasswordKey $ }}", (string)database["secretUserPasswordKey"]!);
                    break;
                default:
                    Assert.Fail($"the API reads Secret {name}, which nothing in the chart creates");
                    break;
            }
        }

        // The resolver's client secret: a Secret client-secrets.yaml creates (one per keycloak-init client), key client_secret.
        var fromSecret = Values["awe"]!["envVarsFrom"]!["AWE__KEYCLOAK__ADMIN_CLIENT_SECRET"]!["secretKeyRef"]!;
        var clients = Values["keycloak-init"]!["realms"]!.AsObject().SelectMany(r => r.Value!["clients"]!.AsArray())
            .Select(c => (string)c!["clientId"]!).ToList();
        Assert.Contains((string)fromSecret["name"]!, clients);
        Assert.Equal("client_secret", (string)fromSecret["key"]!);
        var clientSecrets = Template("client-secrets.yaml");
        Assert.Contains("name: {{ $client.clientId }}", clientSecrets);
        Assert.Contains("client_secret:", clientSecrets);
    }

    [GeneratedRegex(@"secretKeyRef:\s*\n\s*name: (.+)")]
    private static partial Regex SecretRefName();

    [GeneratedRegex(@"name: \{\{ include ""([^""]+)"" \$ \}\}")]
    private static partial Regex IncludeName();

    [Theory]
    [InlineData("client-secrets.yaml", "client_secret: {{ index $existing.data")]
    [InlineData("secret-data-protection.yaml", "{{ $key }}: {{ index $existing.data $key }}")]
    public void Generated_secrets_are_reused_on_upgrade_and_kept_on_uninstall(string name, string reuse)
    {
        var t = Template(name);
        Assert.Contains("lookup \"v1\" \"Secret\" ", t);
        Assert.Contains(reuse, t); // the existing value, when there is one
        Assert.Contains("helm.sh/resource-policy: keep", t);
        Assert.Equal("keep", (string?)Manifest(name)["metadata"]!["annotations"]!["helm.sh/resource-policy"]);
    }

    [Theory]
    [InlineData("deployment-awe.yaml")]
    [InlineData("deployment-awe-ui.yaml")]
    public void Pods_meet_the_restricted_pod_security_standard(string name)
    {
        var pod = Manifest(name)["spec"]!["template"]!["spec"]!;
        Assert.False((bool)pod["automountServiceAccountToken"]!);
        var mounts = Container(name)["volumeMounts"]!.AsArray();
        Assert.Contains(mounts, m => (string)m!["name"]! == "tmp" && (string)m["mountPath"]! == "/tmp");
        Assert.Contains("include \"openg2p-awe.tmpVolume\"", Template(name));
        Assert.Contains("emptyDir:", Repo.Read($"{Repo.Chart}/templates/_helpers.tpl"));

        var component = name.Contains("-ui") ? "ui" : "awe";
        var podSecurity = Values[component]!["podSecurityContext"]!;
        Assert.True((bool)podSecurity["runAsNonRoot"]!);
        Assert.Equal("RuntimeDefault", (string)podSecurity["seccompProfile"]!["type"]!);
        var container = Values[component]!["containerSecurityContext"]!;
        Assert.False((bool)container["allowPrivilegeEscalation"]!);
        Assert.True((bool)container["readOnlyRootFilesystem"]!);
        Assert.Equal(["ALL"], container["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
        Assert.Contains("{{- toYaml .Values." + component + ".podSecurityContext", Template(name));
        Assert.Contains("{{- toYaml .Values." + component + ".containerSecurityContext", Template(name));
    }

    [Fact]
    public void The_api_spreads_over_nodes_and_keeps_one_pod_through_a_drain()
    {
        var spec = Manifest("deployment-awe.yaml")["spec"]!;
        // Without awe.affinity the default: prefer one API pod per node.
        Assert.Empty(Values["awe"]!["affinity"]!.AsObject());
        Assert.Matches(new Regex(@"\{\{- else \}\}\s*\n.*\n\s*# .*\n\s*podAntiAffinity:\s*\n\s*preferredDuringSchedulingIgnoredDuringExecution:[\s\S]*topologyKey: kubernetes\.io/hostname"),
            Template("deployment-awe.yaml"));
        Assert.Equal(0L, (long)spec["strategy"]!["rollingUpdate"]!["maxUnavailable"]!);
        Assert.Equal(1L, (long)Values["awe"]!["podDisruptionBudget"]!["minAvailable"]!);
        Assert.Contains("{{- if not .Values.awe.autoscaling.enabled }}\n  replicas:", Template("deployment-awe.yaml"));
    }

    [Fact]
    public void Dev_mode_is_refused_unless_explicitly_allowed()
    {
        var configMap = Template("configmap-awe.yaml");
        Assert.Contains("{{- if and (not $issuer) (not $allowDevMode) -}}\n{{- fail", configMap);
        Assert.Equal("{{ include \"openg2p-awe.keycloakIssuer\" $ }}", (string)Values["awe"]!["config"]!["keycloak"]!["issuer"]!);
        Assert.Equal("{{ include \"openg2p-awe.keycloakJwksUrl\" $ }}", (string)Values["awe"]!["config"]!["keycloak"]!["jwks_url"]!);
        Assert.Equal("Production", (string)Values["awe"]!["envVars"]!["ASPNETCORE_ENVIRONMENT"]!);
    }
}
