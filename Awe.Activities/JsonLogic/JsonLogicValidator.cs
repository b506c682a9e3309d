using System.Text.Json.Nodes;

namespace Awe.Activities.JsonLogic;

/// <summary>
/// Checks a JSONLogic rule without data, so authoring mistakes surface when a workflow is saved rather than when a
/// condition first runs. A rule it accepts will not fail evaluation for structural reasons (unknown operators,
/// arity, malformed rule objects); data-dependent failures such as division by zero remain possible.
/// </summary>
public static class JsonLogicValidator
{
    /// <summary>Returns every problem found, each prefixed with its location ("at and[1].if[0]: ...") below the root.</summary>
    public static IReadOnlyList<string> Validate(JsonNode? rule)
    {
        var problems = new List<string>();
        Visit(rule, "", problems);
        return problems;
    }

    private static void Visit(JsonNode? node, string path, List<string> problems)
    {
        switch (node)
        {
            case JsonArray array:
                // Arrays in a rule are evaluated element by element, so each element is itself a rule.
                for (var i = 0; i < array.Count; i++)
                {
                    Visit(array[i], $"{path}[{i}]", problems);
                }
                break;
            case JsonObject obj:
                VisitOperation(obj, path, problems);
                break;
            case JsonValue value when JsonLogicCoercion.Unwrap(value) is (JsonObject or JsonArray) and var unwrapped:
                Visit(unwrapped, path, problems);
                break;
        }
    }

    private static void VisitOperation(JsonObject obj, string path, List<string> problems)
    {
        if (obj.Count != 1)
        {
            problems.Add(At(path, JsonLogicEvaluator.KeyCountMessage(obj)));
            return;
        }

        var (name, argsNode) = obj.First();
        var args = JsonLogicEvaluator.Arguments(argsNode);
        if (!JsonLogicEvaluator.Operators.TryGetValue(name, out var op))
        {
            problems.Add(At(path, JsonLogicEvaluator.UnknownOperatorMessage(name)));
        }
        else if (JsonLogicEvaluator.ArityProblem(name, op, args.Count) is { } arityProblem)
        {
            problems.Add(At(path, arityProblem));
        }

        // Keep going below an unknown operator too: reporting every problem at once saves edit/validate round trips.
        var prefix = path.Length == 0 ? name : $"{path}.{name}";
        if (argsNode is JsonArray)
        {
            for (var i = 0; i < args.Count; i++)
            {
                Visit(args[i], $"{prefix}[{i}]", problems);
            }
        }
        else
        {
            Visit(argsNode, prefix, problems);
        }
    }

    private static string At(string path, string message) => path.Length == 0 ? message : $"at {path}: {message}";
}
