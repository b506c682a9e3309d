using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Awe.Activities.JsonLogic;

/// <summary>
/// The evaluator's value model and the JavaScript coercion rules JSONLogic inherits.
/// </summary>
/// <remarks>
/// Values are plain CLR objects: <c>null</c>, <see cref="bool"/>, <see cref="double"/>, <see cref="string"/>,
/// <see cref="List{T}"/> of values (JSON array) and <see cref="OrderedDictionary{TKey,TValue}"/> (JSON object).
/// Evaluating on these instead of <see cref="JsonNode"/> sidesteps JsonNode's single-parent rule (a value can sit in
/// several result arrays) and makes every number a double, so 3 and 3.0 are the same value. Arrays and objects keep
/// JavaScript's identity semantics for <c>===</c>: the same data value is identical to itself, a literal is not.
/// </remarks>
internal static partial class JsonLogicCoercion
{
    // 2^53: beyond it doubles are not exact integers any more, so emitting them as long would invent precision.
    private const double MaxSafeInteger = 9007199254740992d;

    // [0-9] rather than \d: .NET's \d also matches non-ASCII digits, which JavaScript does not accept.
    [GeneratedRegex(@"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalLiteral();

    [GeneratedRegex(@"^[+-]?(Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalPrefix();

    public static object? FromNode(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonArray array:
                var list = new List<object?>(array.Count);
                foreach (var item in array)
                {
                    list.Add(FromNode(item));
                }
                return list;
            case JsonObject obj:
                var dict = new OrderedDictionary<string, object?>(obj.Count, StringComparer.Ordinal);
                foreach (var (key, value) in obj)
                {
                    dict[key] = FromNode(value);
                }
                return dict;
            default:
                return FromValue(node.AsValue());
        }
    }

    public static object? FromValue(JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number:
                // JsonValues built from CLR ints/decimals do not convert to double themselves; the JSON text always does.
                return value.TryGetValue(out double number)
                    ? number
                    : double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
            case JsonValueKind.String:
                if (value.TryGetValue(out string? text))
                {
                    return text;
                }
                using (var document = JsonDocument.Parse(value.ToJsonString()))
                {
                    return document.RootElement.GetString();
                }
            case JsonValueKind.Object or JsonValueKind.Array:
                return FromNode(Unwrap(value));
            default:
                return null;
        }
    }

    /// <summary>
    /// A JsonValue built from a CLR collection or object (JsonValue.Create(new[] { 1, 2 })) serialises as a JSON
    /// array or object; rules and data treat it as that container rather than as an opaque scalar.
    /// </summary>
    public static JsonNode? Unwrap(JsonValue value) =>
        value.GetValueKind() is JsonValueKind.Object or JsonValueKind.Array
            ? JsonNode.Parse(value.ToJsonString())
            : value;

    public static JsonNode? ToNode(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case bool flag:
                return JsonValue.Create(flag);
            case double number:
                return NumberToNode(number);
            case string text:
                return JsonValue.Create(text);
            case List<object?> list:
                var array = new JsonArray();
                foreach (var item in list)
                {
                    array.Add(ToNode(item));
                }
                return array;
            case OrderedDictionary<string, object?> dict:
                var obj = new JsonObject();
                foreach (var (key, item) in dict)
                {
                    obj[key] = ToNode(item);
                }
                return obj;
            default:
                throw new JsonLogicException($"internal error: unsupported value type {value.GetType().Name}");
        }
    }

    private static JsonNode? NumberToNode(double number)
    {
        // JSON has no NaN or Infinity; JSON.stringify writes them as null, so do we.
        if (!double.IsFinite(number))
        {
            return null;
        }
        if (Math.Floor(number) == number && Math.Abs(number) <= MaxSafeInteger)
        {
            return JsonValue.Create((long)number);
        }
        return JsonValue.Create(number);
    }

    /// <summary>JSONLogic truthiness: JavaScript's, except that an empty array is falsy.</summary>
    public static bool IsTruthy(object? value) => value switch
    {
        null => false,
        bool flag => flag,
        double number => number != 0 && !double.IsNaN(number),
        string text => text.Length > 0,
        List<object?> list => list.Count > 0,
        _ => true,
    };

    public static bool IsContainer(object? value) => value is List<object?> or OrderedDictionary<string, object?>;

    /// <summary>JavaScript ToPrimitive: containers become their string form, everything else is already primitive.</summary>
    public static object? ToPrimitive(object? value) => IsContainer(value) ? ToJsString(value) : value;

    /// <summary>JavaScript Number(value).</summary>
    public static double ToNumber(object? value) => value switch
    {
        null => 0,
        bool flag => flag ? 1 : 0,
        double number => number,
        string text => StringToNumber(text),
        _ => StringToNumber(ToJsString(value)),
    };

    /// <summary>JavaScript parseFloat(value), which <c>+</c> and <c>*</c> use: it reads the longest numeric prefix.</summary>
    public static double ParseFloat(object? value)
    {
        if (value is double number)
        {
            return number;
        }
        var text = TrimJsWhitespace(ToJsString(value));
        var match = DecimalPrefix().Match(text);
        if (!match.Success)
        {
            return double.NaN;
        }
        return ParseDecimal(match.Value);
    }

    /// <summary>Truncates toward zero like JavaScript's ToIntegerOrInfinity (NaN becomes 0).</summary>
    public static double ToInteger(object? value)
    {
        var number = ToNumber(value);
        return double.IsNaN(number) ? 0 : Math.Truncate(number);
    }

    private static double StringToNumber(string text)
    {
        var trimmed = TrimJsWhitespace(text);
        if (trimmed.Length == 0)
        {
            return 0;
        }
        if (trimmed.Length > 2 && trimmed[0] == '0' && RadixOf(trimmed[1]) is int radix)
        {
            return ParseRadix(trimmed.AsSpan(2), radix);
        }
        if (trimmed is "Infinity" or "+Infinity" or "-Infinity" || DecimalLiteral().IsMatch(trimmed))
        {
            return ParseDecimal(trimmed);
        }
        return double.NaN;
    }

    private static double ParseDecimal(string literal)
    {
        if (literal.EndsWith("Infinity", StringComparison.Ordinal))
        {
            return literal[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
        }
        return double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static int? RadixOf(char marker) => char.ToLowerInvariant(marker) switch
    {
        'x' => 16,
        'o' => 8,
        'b' => 2,
        _ => null,
    };

    private static double ParseRadix(ReadOnlySpan<char> digits, int radix)
    {
        double result = 0;
        foreach (var c in digits)
        {
            var digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'z' => c - 'a' + 10,
                >= 'A' and <= 'Z' => c - 'A' + 10,
                _ => int.MaxValue,
            };
            if (digit >= radix)
            {
                return double.NaN;
            }
            result = result * radix + digit;
        }
        return result;
    }

    // JavaScript's whitespace set differs from char.IsWhiteSpace in two code points (BOM yes, NEL no).
    private static bool IsJsWhitespace(char c) => c == '\uFEFF' || (char.IsWhiteSpace(c) && c != '\u0085');

    private static string TrimJsWhitespace(string text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsJsWhitespace(text[start]))
        {
            start++;
        }
        while (end > start && IsJsWhitespace(text[end - 1]))
        {
            end--;
        }
        return text[start..end];
    }

    /// <summary>JavaScript String(value).</summary>
    public static string ToJsString(object? value) => value switch
    {
        null => "null",
        bool flag => flag ? "true" : "false",
        double number => NumberToString(number),
        string text => text,
        List<object?> list => string.Join(",", list.Select(ToJoinedString)),
        _ => "[object Object]",
    };

    /// <summary>How Array.prototype.join renders an element: like String(), except null becomes empty.</summary>
    public static string ToJoinedString(object? value) => value is null ? "" : ToJsString(value);

    /// <summary>JavaScript Number.prototype.toString(): shortest round-trip digits, exponent only outside 1e-7..1e21.</summary>
    public static string NumberToString(double number)
    {
        if (double.IsNaN(number))
        {
            return "NaN";
        }
        if (double.IsInfinity(number))
        {
            return number > 0 ? "Infinity" : "-Infinity";
        }
        if (number == 0)
        {
            return "0";
        }

        // "R" gives the shortest round-trip digits, but in .NET's layout; re-lay them out by ECMAScript's rules.
        var raw = Math.Abs(number).ToString("R", CultureInfo.InvariantCulture);
        var exponent = 0;
        var e = raw.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(raw.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            raw = raw[..e];
        }
        var dot = raw.IndexOf('.');
        var digits = dot < 0 ? raw : raw.Remove(dot, 1);
        var point = (dot < 0 ? raw.Length : dot) + exponent;
        var leadingZeros = 0;
        while (leadingZeros < digits.Length - 1 && digits[leadingZeros] == '0')
        {
            leadingZeros++;
        }
        digits = digits[leadingZeros..].TrimEnd('0');
        point -= leadingZeros;

        var k = digits.Length;
        var n = point;
        string body;
        if (k <= n && n <= 21)
        {
            body = digits + new string('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            body = digits[..n] + "." + digits[n..];
        }
        else if (-6 < n && n <= 0)
        {
            body = "0." + new string('0', -n) + digits;
        }
        else
        {
            var shown = n - 1;
            body = digits[..1] + (k > 1 ? "." + digits[1..] : "") + "e" + (shown >= 0 ? "+" : "-") +
                   Math.Abs(shown).ToString(CultureInfo.InvariantCulture);
        }
        return number < 0 ? "-" + body : body;
    }

    /// <summary>JavaScript <c>===</c>.</summary>
    public static bool StrictEquals(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (double x, double y) => x == y,
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        _ => IsContainer(a) && ReferenceEquals(a, b),
    };

    /// <summary>JavaScript <c>==</c> (abstract equality), without undefined since JSON has none.</summary>
    public static bool LooseEquals(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        if (a.GetType() == b.GetType())
        {
            return StrictEquals(a, b);
        }
        if (a is bool)
        {
            return LooseEquals(ToNumber(a), b);
        }
        if (b is bool)
        {
            return LooseEquals(a, ToNumber(b));
        }
        if (a is double x && b is string)
        {
            return x == ToNumber(b);
        }
        if (a is string && b is double y)
        {
            return ToNumber(a) == y;
        }
        if (IsContainer(a) && !IsContainer(b))
        {
            return LooseEquals(ToPrimitive(a), b);
        }
        if (IsContainer(b) && !IsContainer(a))
        {
            return LooseEquals(a, ToPrimitive(b));
        }
        return false;
    }

    /// <summary>
    /// JavaScript relational comparison: ordinal if both sides are strings, numeric otherwise.
    /// Null means "undefined" (a NaN was involved), for which every relational operator is false.
    /// </summary>
    public static int? Compare(object? a, object? b)
    {
        var left = ToPrimitive(a);
        var right = ToPrimitive(b);
        if (left is string x && right is string y)
        {
            return Math.Sign(string.CompareOrdinal(x, y));
        }
        var l = ToNumber(left);
        var r = ToNumber(right);
        if (double.IsNaN(l) || double.IsNaN(r))
        {
            return null;
        }
        return l.CompareTo(r);
    }
}
