namespace Awe.Deployment.Tests;

/// <summary>shellcheck on every shell script, yamllint on the YAML an operator edits (both installed by scripts/test.sh).</summary>
public sealed class LintTests
{
    private static string Tool(string name) =>
        Repo.Which(name) ?? throw new InvalidOperationException($"{name} is not installed; scripts/test.sh installs it (apt-get install {name})");

    public static IEnumerable<object[]> ShellScripts() =>
        Directory.EnumerateFiles(Repo.Root, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/bin/") && !f.Contains("/obj/") && !f.Contains("/node_modules/") && !f.Contains("/.git/"))
            .Where(f => f.EndsWith(".sh") || File.ReadLines(f).FirstOrDefault() is { } first && first.StartsWith("#!") && first.Contains("bash"))
            .Select(f => new object[] { Path.GetRelativePath(Repo.Root, f) });

    [Theory]
    [MemberData(nameof(ShellScripts))]
    public void Shellcheck_finds_nothing(string script)
    {
        var (code, output) = Repo.Run(Tool("shellcheck"), ["--severity=style", script]);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void The_scripts_that_matter_are_among_the_checked()
    {
        var scripts = ShellScripts().Select(s => (string)s[0]).ToList();
        Assert.Contains("scripts/test.sh", scripts);
        Assert.Contains("helm/openg2p-awe/scripts/teardown.sh", scripts);
        Assert.Contains(".ci/run", scripts);
    }

    [Theory]
    [InlineData("docker-compose.yml")]
    [InlineData("helm/openg2p-awe/values.yaml")]
    [InlineData("helm/openg2p-awe/Chart.yaml")]
    [InlineData("config/default.yaml")]
    [InlineData("deploy/keycloak/staff-realm.json")]
    public void Yamllint_finds_nothing(string file)
    {
        var (code, output) = Repo.Run(Tool("yamllint"), ["--strict", "-c", ".yamllint.yml", file]);
        Assert.True(code == 0, output);
    }
}
