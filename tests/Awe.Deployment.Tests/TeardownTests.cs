namespace Awe.Deployment.Tests;

/// <summary>
/// helm/openg2p-awe/scripts/teardown.sh against stub kubectl / helm / jq that record every call: the eight steps in
/// order, each flag's effect, dry runs that change nothing, the typed confirmation, and missing prerequisites.
/// </summary>
public sealed class TeardownTests : IDisposable
{
    private static readonly string Script = Repo.PathOf($"{Repo.Chart}/scripts/teardown.sh");
    private readonly StubTools _tools = new("kubectl", "helm", "jq");

    public TeardownTests()
    {
        // A namespace with everything a release leaves behind.
        _tools.Answer("helm", "-n registry status awe", "STATUS: deployed")
            .Answer("kubectl", "*get pod -l app.kubernetes.io/instance=commons-postgresql,app.kubernetes.io/name=postgresql*", "commons-postgresql-0")
            .Answer("kubectl", "*get pod -l app.kubernetes.io/instance=commons-keycloak,app.kubernetes.io/name=keycloak*", "commons-keycloak-0")
            .Answer("kubectl", "*get secret awe-admin-* -o json", """{"metadata":{"labels":{"app.kubernetes.io/instance":"awe"}}}""")
            .Answer("kubectl", "*get pvc -l app.kubernetes.io/instance=awe*", "data-awe-0")
            .Answer("kubectl", "get pv -o jsonpath=*", "pv-mine\tregistry\tdata-awe-0\tReleased\npv-other\tregistry\tdata-other-0\tReleased\npv-bound\tregistry\tdata-awe-0\tBound\n");
    }

    public void Dispose() => _tools.Dispose();

    private (int ExitCode, string Output) Run(string? stdin = null, string? path = null, params string[] args) =>
        Repo.Run("/bin/bash", [Script, .. args], environment: new Dictionary<string, string>
        {
            ["PATH"] = path ?? $"{_tools.Bin}:/usr/bin:/bin",
        }, stdin: stdin ?? "");

    private List<string> Mutations => _tools.Calls.Where(c =>
        c.StartsWith("helm uninstall") || c.Contains(" delete ") || c.Contains(" exec ")).ToList();

    private const string Label = "app.kubernetes.io/instance=awe";

    [Fact]
    public void A_confirmed_run_takes_the_eight_steps_in_order()
    {
        var (code, output) = Run(null, null, "-n", "registry", "--yes");

        Assert.True(code == 0, output);
        Assert.Equal(
        [
            "helm uninstall awe -n registry --wait --timeout 5m",
            $"kubectl -n registry delete job -l {Label} --ignore-not-found --wait=true --timeout=2m",
            $"kubectl -n registry delete pod -l {Label} --ignore-not-found --field-selector=status.phase!=Running",
            "kubectl -n registry delete secret awe-admin-portal --ignore-not-found",
            "kubectl -n registry delete secret awe-admin-resolver --ignore-not-found",
            $"kubectl -n registry delete configmap -l {Label} --ignore-not-found",
            $"kubectl -n registry delete secret -l {Label} --ignore-not-found",
            "kubectl -n registry exec -i commons-postgresql-0 -c postgresql -- sh -s",
            $"kubectl -n registry delete pvc -l {Label} --ignore-not-found --wait=true --timeout=2m",
            "kubectl delete pv pv-mine --ignore-not-found",
        ], Mutations);
        Assert.Contains("DROP DATABASE IF EXISTS \"awe\";", _tools.Stdin);
        Assert.Contains("DROP ROLE IF EXISTS \"awe_user\";", _tools.Stdin);
        var headers = Enumerable.Range(1, 8).Select(i => output.IndexOf($"==> [{i}/8]", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, headers);
        Assert.Equal(headers.Order(), headers);
        Assert.Contains("skipped  [8] Keycloak clients kept", output);
        Assert.Contains("done     [1] helm uninstall awe", output);
    }

    [Fact]
    public void A_dry_run_prints_every_step_and_changes_nothing()
    {
        var (code, output) = Run(null, null, "-n", "registry", "--dry-run", "--delete-kc-clients");

        Assert.True(code == 0, output);
        Assert.Empty(Mutations);
        Assert.NotEmpty(_tools.Calls); // it did look at the cluster
        for (var i = 1; i <= 8; i++) Assert.Contains($"==> [{i}/8]", output);
        Assert.Contains("+ helm uninstall awe", output);
        Assert.Contains("+ kubectl -n registry exec -i commons-keycloak-0", output);
        Assert.Contains("Dry run finished; nothing was changed.", output);
    }

    [Fact]
    public void Delete_kc_clients_removes_both_clients_in_the_keycloak_release_pod_last()
    {
        _tools.Answer("kubectl", "*get pod -l app.kubernetes.io/instance=kc,app.kubernetes.io/name=keycloak*", "kc-0");
        var (code, output) = Run(null, null, "-n", "registry", "--yes", "--delete-kc-clients", "--keycloak-release", "kc");

        Assert.True(code == 0, output);
        Assert.Equal("kubectl -n registry exec -i kc-0 -- sh -s -- staff awe-admin-portal awe-admin-resolver", Mutations[^1]);
        Assert.Contains("kcadm", _tools.Stdin);
    }

    [Fact]
    public void Keep_kc_secrets_leaves_the_client_secrets_and_sweeps_the_rest_one_by_one()
    {
        _tools.Answer("kubectl", $"*get secret -l {Label} -o jsonpath=*", "awe-admin-portal awe-data-protection");
        var (code, output) = Run(null, null, "-n", "registry", "--yes", "--keep-kc-secrets");

        Assert.True(code == 0, output);
        Assert.DoesNotContain(Mutations, c => c.Contains("delete secret awe-admin-"));
        Assert.DoesNotContain(Mutations, c => c.Contains("delete secret -l"));
        Assert.Contains("kubectl -n registry delete secret awe-data-protection --ignore-not-found", Mutations);
        Assert.Contains("kept (--keep-kc-secrets)", output);
    }

    [Fact]
    public void Keep_pvs_deletes_the_claims_but_no_volume()
    {
        var (code, output) = Run(null, null, "-n", "registry", "--yes", "--keep-pvs");

        Assert.True(code == 0, output);
        Assert.Contains(Mutations, c => c.Contains("delete pvc"));
        Assert.DoesNotContain(Mutations, c => c.Contains("delete pv "));
        Assert.Contains("skipped  [7] PVs kept (--keep-pvs)", output);
    }

    [Fact]
    public void Release_and_postgres_release_name_what_is_removed_and_where_the_database_is_dropped()
    {
        _tools.Answer("helm", "-n registry status awe-two", "STATUS: deployed")
            .Answer("kubectl", "*get pod -l app.kubernetes.io/instance=pg,app.kubernetes.io/name=postgresql*", "pg-0");
        var (code, output) = Run(null, null, "-n", "registry", "--yes", "--release", "awe-two", "--postgres-release", "pg");

        Assert.True(code == 0, output);
        Assert.Equal("helm uninstall awe-two -n registry --wait --timeout 5m", Mutations[0]);
        Assert.Contains("kubectl -n registry exec -i pg-0 -c postgresql -- sh -s", Mutations);
        Assert.All(Mutations.Where(c => c.Contains(" -l ")), c => Assert.Contains("app.kubernetes.io/instance=awe-two ", c));
        Assert.Contains("DROP DATABASE IF EXISTS \"awe_two\";", _tools.Stdin);
        Assert.Contains("DROP ROLE IF EXISTS \"awe_two_user\";", _tools.Stdin);
    }

    [Fact]
    public void A_client_secret_of_another_release_is_not_touched()
    {
        // Its own stubs: the shared ones already answer that every client Secret is this release's.
        using var tools = new StubTools("kubectl", "helm", "jq");
        tools.Answer("kubectl", "*get secret awe-admin-portal -o json", """{"metadata":{"labels":{"app.kubernetes.io/instance":"other"}}}""")
            .Answer("kubectl", "*get secret awe-admin-resolver -o json", """{"metadata":{"labels":{"app.kubernetes.io/instance":"awe"}}}""");
        var (code, output) = Repo.Run("/bin/bash", [Script, "-n", "registry", "--yes"],
            environment: new Dictionary<string, string> { ["PATH"] = $"{tools.Bin}:/usr/bin:/bin" }, stdin: "");

        Assert.True(code == 0, output);
        Assert.DoesNotContain("kubectl -n registry delete secret awe-admin-portal --ignore-not-found", tools.Calls);
        Assert.Contains("kubectl -n registry delete secret awe-admin-resolver --ignore-not-found", tools.Calls);
        Assert.Contains("Secret awe-admin-portal belongs to release 'other', not 'awe'; not touched", output);
    }

    [Theory]
    [InlineData("")]
    [InlineData("yes\n")]
    [InlineData("awe-other\n")]
    public void Without_the_typed_release_name_nothing_is_changed(string typed)
    {
        var (code, output) = Run(typed, null, "-n", "registry");

        Assert.NotEqual(0, code);
        Assert.Contains("not confirmed", output);
        Assert.Empty(Mutations);
    }

    [Fact]
    public void Typing_the_release_name_confirms()
    {
        var (code, output) = Run("awe\n", null, "-n", "registry");

        Assert.True(code == 0, output);
        Assert.Equal("helm uninstall awe -n registry --wait --timeout 5m", Mutations[0]);
    }

    [Fact]
    public void Missing_prerequisites_are_named_and_nothing_runs()
    {
        using var onlyKubectl = new StubTools("kubectl");
        var (code, output) = Repo.Run("/bin/bash", [Script, "-n", "registry", "--yes"],
            environment: new Dictionary<string, string> { ["PATH"] = onlyKubectl.Bin }, stdin: "");

        Assert.NotEqual(0, code);
        Assert.Contains("missing prerequisites: helm jq", output);
        Assert.Empty(onlyKubectl.Calls);
    }

    [Fact]
    public void Unknown_flags_are_refused_with_the_usage()
    {
        var (code, output) = Run(null, null, "--purge-everything");

        Assert.NotEqual(0, code);
        Assert.Contains("unknown argument: --purge-everything", output);
        Assert.Contains("--keep-pvs", output);
        Assert.Empty(Mutations);
    }
}
