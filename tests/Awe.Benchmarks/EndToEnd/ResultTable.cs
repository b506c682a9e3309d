using System.Globalization;
using System.Text;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>One line of the result table. <see cref="Met"/> is null when the line has no target or was not measured.</summary>
public sealed record ResultRow(string Measurement, string Engine, string Reference, string Ratio, string Target, bool? Met);

/// <summary>The one table the run prints and writes into docs/performance.md: engine, reference (pgbench on the same SQL,
/// or what the target compares with), their ratio, the target and whether it is met.</summary>
public sealed class ResultTable
{
    private readonly List<ResultRow> _rows = [];
    private readonly List<string> _details = [];

    public IReadOnlyList<ResultRow> Rows { get { lock (_rows) return _rows.ToList(); } }

    /// <summary>Raw numbers behind the table (one markdown line each), shown under it in the report.</summary>
    public IReadOnlyList<string> Details { get { lock (_details) return _details.ToList(); } }

    public void Add(ResultRow row)
    {
        lock (_rows) _rows.Add(row);
        Console.WriteLine($"  {row.Measurement}: engine {row.Engine}, reference {row.Reference}, ratio {row.Ratio}, target {row.Target} → {MetText(row.Met)}");
    }

    public void Detail(string line)
    {
        lock (_details) _details.Add(line);
        Console.WriteLine($"  {line}");
    }

    /// <summary>A line whose target compares a ratio engine/reference with a bound.</summary>
    public void AddRatio(string measurement, double engine, double reference, string unit, double bound, bool atLeast, string targetText)
    {
        var ratio = engine / reference;
        bool? met = double.IsFinite(ratio) ? (atLeast ? ratio >= bound : ratio <= bound) : null;
        Add(new ResultRow(measurement, Number(engine, unit), Number(reference, unit), double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) : "–", targetText, met));
    }

    public void AddUnmeasured(string measurement, string target, string why) => Add(new ResultRow(measurement, why, "–", "–", target, null));

    public static string Number(double value, string unit) =>
        double.IsFinite(value) ? $"{value.ToString(value >= 100 ? "N0" : value >= 10 ? "N1" : "N2", CultureInfo.InvariantCulture)} {unit}".Trim() : "–";

    public static string MetText(bool? met) => met switch { true => "met", false => "NOT met", null => "–" };

    public string Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| measurement | engine | reference | ratio | target | met |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var r in Rows) text.AppendLine($"| {r.Measurement} | {r.Engine} | {r.Reference} | {r.Ratio} | {r.Target} | {MetText(r.Met)} |");
        return text.ToString();
    }

    public string Plain()
    {
        var rows = Rows.Select(r => new[] { r.Measurement, r.Engine, r.Reference, r.Ratio, r.Target, MetText(r.Met) }).ToList();
        rows.Insert(0, ["measurement", "engine", "reference", "ratio", "target", "met"]);
        var widths = Enumerable.Range(0, 6).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var (row, index) in rows.Select((r, i) => (r, i)))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
            if (index == 0) text.AppendLine(new string('-', widths.Sum() + 10));
        }
        return text.ToString();
    }
}
