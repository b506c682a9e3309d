using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>
/// Writes a bound parameter as the SQL literal PostgreSQL would read back as the same value: the text form, quoted,
/// with a cast to the parameter's declared type. Decodes the binary formats Npgsql sends for the types AWE uses.
/// </summary>
public static class PgLiteral
{
    private static readonly Dictionary<uint, string> TypeNames = new()
    {
        [16] = "boolean", [17] = "bytea", [19] = "name", [20] = "bigint", [21] = "smallint", [23] = "integer", [25] = "text",
        [114] = "json", [700] = "real", [701] = "double precision", [1042] = "bpchar", [1043] = "varchar", [1082] = "date",
        [1114] = "timestamp", [1184] = "timestamptz", [1186] = "interval", [1700] = "numeric", [2950] = "uuid", [3802] = "jsonb",
        [1000] = "boolean[]", [1005] = "smallint[]", [1007] = "integer[]", [1016] = "bigint[]", [1009] = "text[]", [1015] = "varchar[]",
        [199] = "json[]", [3807] = "jsonb[]", [1185] = "timestamptz[]", [1115] = "timestamp[]", [2951] = "uuid[]", [1231] = "numeric[]",
        [1022] = "double precision[]",
    };

    private static readonly DateTime Epoch2000 = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static string Null(uint type) => TypeNames.TryGetValue(type, out var name) ? $"NULL::{name}" : "NULL";

    public static string Render(uint type, bool binary, ReadOnlySpan<byte> value)
    {
        var text = binary ? Decode(type, value) : Encoding.UTF8.GetString(value);
        var quoted = "'" + text.Replace("'", "''") + "'";
        return TypeNames.TryGetValue(type, out var name) ? $"{quoted}::{name}" : quoted;
    }

    /// <summary>Replaces $1, $2… outside quoted strings and identifiers by the literals.</summary>
    public static string Substitute(string sql, IReadOnlyList<string> literals)
    {
        var result = new StringBuilder(sql.Length + literals.Sum(l => l.Length));
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            if (c is '\'' or '"')
            {
                var end = i + 1;
                while (end < sql.Length && !(sql[end] == c && (end + 1 >= sql.Length || sql[end + 1] != c))) end += sql[end] == c ? 2 : 1;
                result.Append(sql, i, Math.Min(end, sql.Length - 1) - i + 1);
                i = end;
            }
            else if (c == '$' && i + 1 < sql.Length && char.IsAsciiDigit(sql[i + 1]))
            {
                var end = i + 1;
                while (end < sql.Length && char.IsAsciiDigit(sql[end])) end++;
                var index = int.Parse(sql.AsSpan(i + 1, end - i - 1)) - 1;
                result.Append(index < literals.Count ? literals[index] : sql[i..end]);
                i = end - 1;
            }
            else result.Append(c);
        }
        return result.ToString();
    }

    private static string Decode(uint type, ReadOnlySpan<byte> v) => type switch
    {
        16 => v[0] != 0 ? "true" : "false",
        21 => BinaryPrimitives.ReadInt16BigEndian(v).ToString(CultureInfo.InvariantCulture),
        23 => BinaryPrimitives.ReadInt32BigEndian(v).ToString(CultureInfo.InvariantCulture),
        20 => BinaryPrimitives.ReadInt64BigEndian(v).ToString(CultureInfo.InvariantCulture),
        700 => BinaryPrimitives.ReadSingleBigEndian(v).ToString("R", CultureInfo.InvariantCulture),
        701 => BinaryPrimitives.ReadDoubleBigEndian(v).ToString("R", CultureInfo.InvariantCulture),
        0 or 19 or 25 or 114 or 705 or 1042 or 1043 => Encoding.UTF8.GetString(v),
        3802 => Encoding.UTF8.GetString(v[1..]), // jsonb: version byte, then text
        2950 => new Guid(v, bigEndian: true).ToString(),
        17 => "\\x" + Convert.ToHexStringLower(v),
        1082 => Epoch2000.AddDays(BinaryPrimitives.ReadInt32BigEndian(v)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        1114 or 1184 => Timestamp(BinaryPrimitives.ReadInt64BigEndian(v), type == 1184),
        1186 => $"{BinaryPrimitives.ReadInt32BigEndian(v[12..])} mons {BinaryPrimitives.ReadInt32BigEndian(v[8..])} days {BinaryPrimitives.ReadInt64BigEndian(v)} microseconds",
        1700 => Numeric(v),
        _ when TypeNames.TryGetValue(type, out var name) && name.EndsWith("[]", StringComparison.Ordinal) => Array(v),
        _ => throw new NotSupportedException($"binary parameter of type oid {type}: add it to PgLiteral"),
    };

    private static string Timestamp(long micros, bool withZone) => micros switch
    {
        long.MaxValue => "infinity",
        long.MinValue => "-infinity",
        _ => Epoch2000.AddTicks(micros * 10).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + (withZone ? "+00" : ""),
    };

    /// <summary>Base-10000 digits with a weight (the power of the first digit), a sign and a display scale.</summary>
    private static string Numeric(ReadOnlySpan<byte> v)
    {
        var count = BinaryPrimitives.ReadInt16BigEndian(v);
        var weight = BinaryPrimitives.ReadInt16BigEndian(v[2..]);
        var sign = BinaryPrimitives.ReadUInt16BigEndian(v[4..]);
        var scale = BinaryPrimitives.ReadInt16BigEndian(v[6..]);
        if (sign == 0xC000) return "NaN";
        var value = 0m;
        for (var i = 0; i < count; i++) value = value * 10000 + BinaryPrimitives.ReadInt16BigEndian(v[(8 + 2 * i)..]);
        for (var e = weight - (count - 1); e > 0; e--) value *= 10000;
        for (var e = weight - (count - 1); e < 0; e++) value /= 10000;
        if (sign == 0x4000) value = -value;
        return value.ToString("F" + scale, CultureInfo.InvariantCulture);
    }

    /// <summary>A one-dimensional array as an array literal: {"a","b",NULL}.</summary>
    private static string Array(ReadOnlySpan<byte> v)
    {
        var dimensions = BinaryPrimitives.ReadInt32BigEndian(v);
        if (dimensions == 0) return "{}";
        if (dimensions > 1) throw new NotSupportedException("multi-dimensional array parameter");
        var elementType = BinaryPrimitives.ReadUInt32BigEndian(v[8..]);
        var count = BinaryPrimitives.ReadInt32BigEndian(v[12..]);
        var at = 20;
        var items = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(v[at..]);
            at += 4;
            if (length < 0) { items.Add("NULL"); continue; }
            var text = Decode(elementType, v.Slice(at, length));
            items.Add("\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"");
            at += length;
        }
        return "{" + string.Join(',', items) + "}";
    }
}
