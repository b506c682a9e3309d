using System.Text.Json.Nodes;
using static Awe.Activities.JsonLogic.JsonLogicCoercion;

namespace Awe.Activities.JsonLogic;

/// <summary>
/// Evaluates JSONLogic rules (https://jsonlogic.com) with the semantics of the reference implementation, json-logic-js.
/// </summary>
/// <remarks>
/// Deliberate differences from json-logic-js, all where JavaScript would produce something JSON cannot carry or a
/// silent mistake: division or modulo by zero throws; NaN/Infinity results are returned as JSON null; rule objects
/// with zero or several keys are rejected rather than passed through as literals; and operators are checked for
/// arity up front (the same limits <see cref="JsonLogicValidator"/> reports).
/// </remarks>
public static class JsonLogicEvaluator
{
    internal const int Unbounded = int.MaxValue;

    internal delegate object? OperatorBody(IReadOnlyList<JsonNode?> args, object? data);

    internal sealed record Operator(int MinArgs, int MaxArgs, OperatorBody Body);

    internal static readonly IReadOnlyDictionary<string, Operator> Operators =
        new Dictionary<string, Operator>(StringComparer.Ordinal)
        {
            ["var"] = EagerWithData(0, 2, (v, data) => GetVar(data, v.ElementAtOrDefault(0), v.ElementAtOrDefault(1))),
            ["missing"] = EagerWithData(0, Unbounded, (v, data) => Missing(v, data)),
            ["missing_some"] = EagerWithData(2, 2, (v, data) => MissingSome(v[0], v[1], data)),

            ["if"] = Lazy(1, Unbounded, If),
            ["?:"] = Lazy(1, Unbounded, If),
            ["and"] = Lazy(1, Unbounded, And),
            ["or"] = Lazy(1, Unbounded, Or),
            ["!"] = Eager(1, 1, v => !JsonLogicCoercion.IsTruthy(v[0])),
            ["!!"] = Eager(1, 1, v => JsonLogicCoercion.IsTruthy(v[0])),

            ["=="] = Eager(2, 2, v => LooseEquals(v[0], v[1])),
            ["!="] = Eager(2, 2, v => !LooseEquals(v[0], v[1])),
            ["==="] = Eager(2, 2, v => StrictEquals(v[0], v[1])),
            ["!=="] = Eager(2, 2, v => !StrictEquals(v[0], v[1])),
            [">"] = Eager(2, 2, v => Compare(v[0], v[1]) > 0),
            [">="] = Eager(2, 2, v => Compare(v[0], v[1]) >= 0),
            ["<"] = Eager(2, 3, v => Compare(v[0], v[1]) < 0 && (v.Length == 2 || Compare(v[1], v[2]) < 0)),
            ["<="] = Eager(2, 3, v => Compare(v[0], v[1]) <= 0 && (v.Length == 2 || Compare(v[1], v[2]) <= 0)),

            // Math.max/min semantics: any NaN argument makes the result NaN, which Math.Max/Min also do.
            ["max"] = Eager(1, Unbounded, v => v.Select(ToNumber).Aggregate(Math.Max)),
            ["min"] = Eager(1, Unbounded, v => v.Select(ToNumber).Aggregate(Math.Min)),
            ["+"] = Eager(0, Unbounded, v => v.Aggregate(0d, (sum, x) => sum + ParseFloat(x))),
            // A single argument is cast as well (json-logic-js would return it as is), matching unary "+".
            ["*"] = Eager(1, Unbounded, v => v.Aggregate(1d, (product, x) => product * ParseFloat(x))),
            ["-"] = Eager(1, 2, v => v.Length == 1 ? -ToNumber(v[0]) : ToNumber(v[0]) - ToNumber(v[1])),
            ["/"] = Eager(2, 2, v => ToNumber(v[0]) / NonZeroDivisor("/", v[1])),
            ["%"] = Eager(2, 2, v => ToNumber(v[0]) % NonZeroDivisor("%", v[1])),

            ["map"] = Lazy(2, 2, Map),
            ["filter"] = Lazy(2, 2, Filter),
            ["reduce"] = Lazy(2, 3, Reduce),
            ["all"] = Lazy(2, 2, All),
            ["some"] = Lazy(2, 2, (args, data) => AnyMatch(args, data)),
            ["none"] = Lazy(2, 2, (args, data) => !AnyMatch(args, data)),
            ["merge"] = Eager(0, Unbounded, Merge),
            ["in"] = Eager(2, 2, v => In(v[0], v[1])),

            ["cat"] = Eager(0, Unbounded, v => string.Concat(v.Select(ToJoinedString))),
            ["substr"] = Eager(2, 3, v => Substr(v[0], v[1], v.Length > 2 ? v[2] : null, hasLength: v.Length > 2)),
            // Only the return value matters to a rule; writing to the console from a server-side engine would not help.
            ["log"] = Eager(1, 1, v => v[0]),
        };

    /// <summary>Evaluates <paramref name="rule"/> against <paramref name="data"/>; the result shares no nodes with either.</summary>
    /// <exception cref="JsonLogicException">The rule is malformed or cannot be evaluated.</exception>
    public static JsonNode? Apply(JsonNode? rule, JsonNode? data) => ToNode(Evaluate(rule, FromNode(data)));

    /// <summary>JSONLogic truthiness: <c>0</c>, <c>""</c>, <c>[]</c>, <c>null</c> and <c>false</c> are falsy; <c>"0"</c> and <c>{}</c> are truthy.</summary>
    public static bool IsTruthy(JsonNode? value) => value switch
    {
        JsonArray array => array.Count > 0,
        JsonObject => true,
        _ => JsonLogicCoercion.IsTruthy(FromNode(value)),
    };

    internal static object? Evaluate(JsonNode? rule, object? data)
    {
        switch (rule)
        {
            case null:
                return null;
            case JsonArray array:
                var results = new List<object?>(array.Count);
                foreach (var item in array)
                {
                    results.Add(Evaluate(item, data));
                }
                return results;
            case JsonObject obj:
                var (name, argsNode) = SingleOperation(obj);
                if (!Operators.TryGetValue(name, out var op))
                {
                    throw new JsonLogicException(UnknownOperatorMessage(name));
                }
                var args = Arguments(argsNode);
                if (ArityProblem(name, op, args.Count) is { } problem)
                {
                    throw new JsonLogicException(problem);
                }
                return op.Body(args, data);
            default:
                var value = rule.AsValue();
                var unwrapped = Unwrap(value);
                return unwrapped is JsonValue ? FromValue(value) : Evaluate(unwrapped, data);
        }
    }

    // Shared with the validator so both speak about rules in the same words.
    internal static string UnknownOperatorMessage(string name) => $"unknown operator '{name}'";

    internal static string KeyCountMessage(JsonObject obj) =>
        obj.Count == 0
            ? "rule object must have exactly one key (the operator), found none"
            : $"rule object must have exactly one key (the operator), found {obj.Count}: " +
              string.Join(", ", obj.Select(p => $"'{p.Key}'"));

    internal static IReadOnlyList<JsonNode?> Arguments(JsonNode? argsNode) =>
        argsNode is JsonArray array ? [.. array] : [argsNode];

    internal static string? ArityProblem(string name, Operator op, int count)
    {
        if (count >= op.MinArgs && count <= op.MaxArgs)
        {
            return null;
        }
        if (op.MinArgs == op.MaxArgs)
        {
            return $"operator '{name}' needs exactly {Plural(op.MinArgs)}, got {count}";
        }
        return count < op.MinArgs
            ? $"operator '{name}' needs at least {Plural(op.MinArgs)}, got {count}"
            : $"operator '{name}' accepts at most {Plural(op.MaxArgs)}, got {count}";

        static string Plural(int n) => n == 1 ? "1 argument" : $"{n} arguments";
    }

    private static (string Name, JsonNode? Args) SingleOperation(JsonObject obj)
    {
        if (obj.Count != 1)
        {
            throw new JsonLogicException(KeyCountMessage(obj));
        }
        var pair = obj.First();
        return (pair.Key, pair.Value);
    }

    private static Operator Lazy(int min, int max, OperatorBody body) => new(min, max, body);

    private static Operator Eager(int min, int max, Func<object?[], object?> body) =>
        EagerWithData(min, max, (values, _) => body(values));

    private static Operator EagerWithData(int min, int max, Func<object?[], object?, object?> body) =>
        new(min, max, (args, data) =>
        {
            var values = new object?[args.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = Evaluate(args[i], data);
            }
            return body(values, data);
        });

    private static double NonZeroDivisor(string name, object? value)
    {
        var divisor = ToNumber(value);
        if (divisor == 0)
        {
            throw new JsonLogicException($"division by zero in operator '{name}'");
        }
        return divisor;
    }

    // Paths are dotted keys; array elements are addressed by their index ("items.0.price"), as in JavaScript.
    private static object? GetVar(object? data, object? path, object? notFound)
    {
        if (path is null or "")
        {
            return data;
        }
        var current = data;
        foreach (var segment in ToJsString(path).Split('.'))
        {
            if (!TryGetMember(current, segment, out current))
            {
                return notFound;
            }
        }
        return current;
    }

    private static bool TryGetMember(object? container, string key, out object? value)
    {
        switch (container)
        {
            case OrderedDictionary<string, object?> obj:
                return obj.TryGetValue(key, out value);
            case List<object?> list when TryParseIndex(key, out var index) && index < list.Count:
                value = list[index];
                return true;
            default:
                value = null;
                return false;
        }
    }

    // Only canonical indexes count: JavaScript's array["01"] is a property lookup, not element 1.
    private static bool TryParseIndex(string key, out int index)
    {
        index = -1;
        return key.Length > 0 && key.All(char.IsAsciiDigit) && (key.Length == 1 || key[0] != '0') &&
               int.TryParse(key, out index);
    }

    private static List<object?> Missing(IReadOnlyList<object?> values, object? data) =>
        // Keys come either as separate arguments or as one array (typically produced by "merge").
        MissingKeys(values.Count > 0 && values[0] is List<object?> list ? list : values, data);

    private static List<object?> MissingSome(object? needed, object? options, object? data)
    {
        var keys = options as List<object?> ?? [options];
        var missing = MissingKeys(keys, data);
        return keys.Count - missing.Count >= ToNumber(needed) ? [] : missing;
    }

    // Null and "" count as missing (an empty form field), while 0 and false are real answers.
    private static List<object?> MissingKeys(IEnumerable<object?> keys, object? data) =>
        keys.Where(key => GetVar(data, key, null) is null or "").ToList();

    private static object? If(IReadOnlyList<JsonNode?> args, object? data)
    {
        var i = 0;
        for (; i + 1 < args.Count; i += 2)
        {
            if (JsonLogicCoercion.IsTruthy(Evaluate(args[i], data)))
            {
                return Evaluate(args[i + 1], data);
            }
        }
        // An odd argument count leaves a final "else" branch.
        return i < args.Count ? Evaluate(args[i], data) : null;
    }

    private static object? And(IReadOnlyList<JsonNode?> args, object? data)
    {
        object? current = null;
        foreach (var arg in args)
        {
            current = Evaluate(arg, data);
            if (!JsonLogicCoercion.IsTruthy(current))
            {
                return current;
            }
        }
        return current;
    }

    private static object? Or(IReadOnlyList<JsonNode?> args, object? data)
    {
        object? current = null;
        foreach (var arg in args)
        {
            current = Evaluate(arg, data);
            if (JsonLogicCoercion.IsTruthy(current))
            {
                return current;
            }
        }
        return current;
    }

    // Iteration operators evaluate their first argument against the outer data and the second once per item,
    // with the item itself as data; a non-array first argument counts as an empty array.
    private static List<object?> Items(IReadOnlyList<JsonNode?> args, object? data) =>
        Evaluate(args[0], data) as List<object?> ?? [];

    private static object? Map(IReadOnlyList<JsonNode?> args, object? data) =>
        Items(args, data).Select(item => Evaluate(args[1], item)).ToList();

    private static object? Filter(IReadOnlyList<JsonNode?> args, object? data) =>
        Items(args, data).Where(item => JsonLogicCoercion.IsTruthy(Evaluate(args[1], item))).ToList();

    private static object? All(IReadOnlyList<JsonNode?> args, object? data)
    {
        var items = Items(args, data);
        return items.Count > 0 && items.All(item => JsonLogicCoercion.IsTruthy(Evaluate(args[1], item)));
    }

    private static bool AnyMatch(IReadOnlyList<JsonNode?> args, object? data) =>
        Items(args, data).Any(item => JsonLogicCoercion.IsTruthy(Evaluate(args[1], item)));

    private static object? Reduce(IReadOnlyList<JsonNode?> args, object? data)
    {
        var items = Evaluate(args[0], data);
        var accumulator = args.Count > 2 ? Evaluate(args[2], data) : null;
        if (items is not List<object?> list)
        {
            return accumulator;
        }
        foreach (var item in list)
        {
            var scope = new OrderedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["current"] = item,
                ["accumulator"] = accumulator,
            };
            accumulator = Evaluate(args[1], scope);
        }
        return accumulator;
    }

    // Flattens exactly one level, like Array.prototype.concat.
    private static object? Merge(object?[] values)
    {
        var merged = new List<object?>();
        foreach (var value in values)
        {
            if (value is List<object?> list)
            {
                merged.AddRange(list);
            }
            else
            {
                merged.Add(value);
            }
        }
        return merged;
    }

    private static bool In(object? needle, object? haystack) => haystack switch
    {
        string text => text.Contains(ToJsString(needle), StringComparison.Ordinal),
        List<object?> list => list.Any(item => StrictEquals(item, needle)),
        _ => false,
    };

    // json-logic-js: a negative length means "stop this many characters before the end".
    private static string Substr(object? source, object? start, object? length, bool hasLength)
    {
        var text = ToJsString(source);
        var from = ToInteger(start);
        if (hasLength && ToNumber(length) < 0)
        {
            var tail = JsSubstr(text, from, double.PositiveInfinity);
            return JsSubstr(tail, 0, tail.Length + ToInteger(length));
        }
        return JsSubstr(text, from, hasLength ? ToInteger(length) : double.PositiveInfinity);
    }

    // String.prototype.substr: a negative start counts from the end; everything is clamped to the string.
    private static string JsSubstr(string text, double start, double length)
    {
        double size = text.Length;
        var from = start < 0 ? Math.Max(size + start, 0) : Math.Min(start, size);
        var count = Math.Min(Math.Max(length, 0), size - from);
        return text.Substring((int)from, (int)count);
    }
}
