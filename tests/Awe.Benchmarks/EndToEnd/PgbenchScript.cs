using System.Text;
using System.Text.RegularExpressions;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>
/// Turns the captured SQL of one create and of the decisions on its tasks into pgbench scripts that send exactly
/// those statements in the same round trips: the statements of one engine round trip go out as one pgbench command
/// (joined with <c>\;</c>, one Query message), each round trip as the next command.
/// <para>Ids the operation made (every UUID not already in the database before it) become templates
/// <c>{slot}-{tag}-4000-8000-:awe_q</c>: <c>awe_q</c> numbers the request per pgbench client and iteration and the tag
/// (<c>-D awe_t=…</c>) the pgbench run, so every transaction inserts new rows, and the decision script finds the rows
/// of the requests an earlier create run (same tag, same client count) inserted: request n's decisions are
/// iterations 3n-2, 3n-1, 3n, one per task in the order the engine decided them.</para>
/// <para>One difference is forced by PostgreSQL: <c>DISCARD ALL</c> (a pooled connection's reset, which Npgsql pipelines
/// with the next statement) cannot share a Query message with anything, so pgbench sends it as a command of its own.</para>
/// </summary>
public sealed partial class PgbenchScript
{
    private readonly Dictionary<string, int> _slots = [];
    private readonly Func<string, bool> _existedBefore;

    /// <param name="existedBefore">Whether an id (lower case) was in the database before the operations: those stay as they are.</param>
    public PgbenchScript(Func<string, bool> existedBefore) => _existedBefore = existedBefore;

    public static ISet<string> IdsIn(string text) => Uuid().Matches(text).Select(m => m.Value.ToLowerInvariant()).ToHashSet();

    /// <summary>SQL that makes nothing (reads), as captured, one transaction per execution; ids stay as they were.</summary>
    public static string Verbatim(string name, IReadOnlyList<RoundTrip> trips)
    {
        var script = new StringBuilder();
        script.AppendLine($"-- AWE {name}, captured from the engine: {Describe(trips)}");
        new PgbenchScript(_ => true).AppendCommands(script, trips);
        return script.ToString();
    }

    /// <summary>The create script: one request per transaction, numbered by client and iteration.</summary>
    public string Create(IReadOnlyList<RoundTrip> trips)
    {
        var script = new StringBuilder();
        script.AppendLine($"-- AWE create, captured from the engine: {Describe(trips)}");
        script.AppendLine(@"\set awe_n :awe_n + 1");
        script.AppendLine(@"\set awe_q 100000000000 + :client_id * 1000000000 + :awe_n");
        AppendCommands(script, trips);
        return script.ToString();
    }

    /// <summary>The decision script: the k-th decision on request ⌈n/3⌉'s tasks, k = (n-1) mod 3.</summary>
    public string Decisions(IReadOnlyList<IReadOnlyList<RoundTrip>> decisions)
    {
        var script = new StringBuilder();
        script.AppendLine($"-- AWE decisions on one request's {decisions.Count} tasks, captured from the engine: " +
                          string.Join("; ", decisions.Select(Describe)));
        script.AppendLine(@"\set awe_n :awe_n + 1");
        script.AppendLine($@"\set awe_q 100000000000 + :client_id * 1000000000 + (:awe_n + {decisions.Count - 1}) / {decisions.Count}");
        script.AppendLine($@"\set awe_k (:awe_n - 1) % {decisions.Count}");
        for (var k = 0; k < decisions.Count; k++)
        {
            script.AppendLine(k == 0 ? @"\if :awe_k = 0" : k < decisions.Count - 1 ? $@"\elif :awe_k = {k}" : @"\else");
            AppendCommands(script, decisions[k]);
        }
        script.AppendLine(@"\endif");
        return script.ToString();
    }

    public static string Describe(IReadOnlyList<RoundTrip> trips) =>
        $"{trips.Count} round trips, {trips.Sum(t => t.Statements.Count)} statements, {trips.Select(t => t.Connection).Distinct().Count()} connection(s)";

    /// <summary>pgbench commands an operation becomes (more than its round trips when a reset must stand alone).</summary>
    public static int Commands(IReadOnlyList<RoundTrip> trips) => trips.Sum(t => Split(t.Statements).Count);

    private void AppendCommands(StringBuilder script, IReadOnlyList<RoundTrip> trips)
    {
        foreach (var trip in trips)
            foreach (var command in Split(trip.Statements))
                script.Append(string.Join(" \\;\n", command.Select(s => EscapeSemicolons(Template(s))))).AppendLine(";");
    }

    /// <summary>The statements of one round trip as pgbench commands: all in one, except those PostgreSQL refuses
    /// inside a multi-statement query.</summary>
    private static List<List<string>> Split(IReadOnlyList<string> statements)
    {
        var commands = new List<List<string>>();
        var current = new List<string>();
        foreach (var statement in statements.Select(s => s.Trim().TrimEnd(';').Trim()).Where(s => s.Length > 0))
        {
            if (Standalone().IsMatch(statement))
            {
                if (current.Count > 0) commands.Add(current);
                commands.Add([statement]);
                current = [];
            }
            else current.Add(statement);
        }
        if (current.Count > 0) commands.Add(current);
        return commands;
    }

    private string Template(string sql) => Uuid().Replace(sql, m =>
    {
        var id = m.Value.ToLowerInvariant();
        if (_existedBefore(id)) return m.Value;
        if (!_slots.TryGetValue(id, out var slot)) _slots[id] = slot = _slots.Count + 1;
        return $"{slot:x8}-:awe_t-4000-8000-:awe_q";
    });

    /// <summary>A semicolon outside quotes would end the pgbench command; <c>\;</c> keeps it inside.</summary>
    private static string EscapeSemicolons(string sql)
    {
        var result = new StringBuilder(sql.Length);
        char? quote = null;
        foreach (var c in sql)
        {
            if (quote is null && c is '\'' or '"') quote = c;
            else if (quote == c) quote = null; // a doubled quote closes and reopens: same outcome
            result.Append(quote is null && c == ';' ? "\\;" : c.ToString());
        }
        return result.ToString();
    }

    [GeneratedRegex("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex Uuid();

    [GeneratedRegex(@"^(DISCARD\s|VACUUM\b|CREATE\s+DATABASE\b|DROP\s+DATABASE\b)", RegexOptions.IgnoreCase)]
    private static partial Regex Standalone();
}
