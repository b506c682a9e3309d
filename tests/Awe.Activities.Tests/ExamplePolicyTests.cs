using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Policies;
using Awe.Activities.Runtime;

namespace Awe.Activities.Tests;

/// <summary>The policies shipped in workflows/ must stay valid as the rules evolve.</summary>
public sealed class ExamplePolicyTests
{
    public static IEnumerable<object[]> Files()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "workflows"))) dir = dir.Parent;
        Assert.NotNull(dir);
        return Directory.GetFiles(Path.Combine(dir!.FullName, "workflows"), "*.json").Select(f => new object[] { f });
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Example_policy_is_valid_and_compiles(string file)
    {
        var (policy, problems) = PolicyReader.Read(JsonNode.Parse(File.ReadAllText(file)));
        Assert.Empty(problems);
        Assert.NotNull(policy);
        Assert.NotEmpty(policy!.Stages);

        var entity = new ApprovalPolicy { PolicyKey = policy.PolicyKey, Version = 1 };
        PolicyMapping.Apply(entity, policy, DateTime.UtcNow);
        var definition = WorkflowCompiler.Compile(entity, DateTime.UtcNow);
        Assert.Equal(policy.Stages.Count, definition.StageNodes.Count());
    }
}
