namespace Awe.Benchmarks.EndToEnd;

/// <summary>
/// Settings of one end-to-end run, from the command line after <c>e2e</c>:
/// <c>--quick</c>, <c>--warmup S</c>, <c>--seconds S</c>, <c>--concurrency 1,4,16</c>, <c>--burst N</c>,
/// <c>--drain-timeout S</c>, <c>--receiver-ms N</c>, <c>--only create,decision,webhooks,&lt;scenario&gt;</c>, <c>--out PATH</c> (the report;
/// <c>--out -</c> writes none), <c>--pg-bin DIR</c>, <c>--note TEXT</c> (a line for the report, e.g. "busy machine"), <c>--keep-work</c> (keep the
/// scratch directory with the pgbench scripts).
/// </summary>
public sealed record E2eOptions
{
    public bool Quick { get; init; }
    public int WarmupSeconds { get; init; } = 5;
    public int MeasureSeconds { get; init; } = 15;
    public IReadOnlyList<int> Concurrencies { get; init; } = [1, 4, 16];
    /// <summary>Creates with a callback URL fired at once before the dispatcher's rate is measured.</summary>
    public int WebhookBurst { get; init; } = 1000;
    /// <summary>Longest wait for the burst's deliveries; the rate is then taken over what arrived.</summary>
    public int DrainTimeoutSeconds { get; init; } = 150;
    /// <summary>Time the local webhook receiver spends on each delivery before answering (0: answers at once).</summary>
    public int ReceiverMilliseconds { get; init; }
    /// <summary>Parts to run (empty = all): create, decision, webhooks, or an <see cref="IEndToEndScenario"/>'s name.</summary>
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>();
    public string? ReportPath { get; init; }
    public string? PgBinDir { get; init; }
    public string? Note { get; init; }
    /// <summary>Keep the scratch directory (the pgbench scripts) instead of removing it.</summary>
    public bool KeepWork { get; init; }
    /// <summary>The arguments as given, for the report.</summary>
    public string CommandLine { get; init; } = "";

    public bool Runs(string part) => Only.Count == 0 || Only.Contains(part);

    public static E2eOptions Parse(IReadOnlyList<string> args)
    {
        // The note is printed on its own in the report, not in the command.
        var noteAt = args.ToList().IndexOf("--note");
        var shown = noteAt < 0 ? args : args.Where((_, i) => i != noteAt && i != noteAt + 1).ToList();
        var options = new E2eOptions { CommandLine = string.Join(' ', shown) };
        if (args.Contains("--quick"))
            options = options with { Quick = true, WarmupSeconds = 2, MeasureSeconds = 5, DrainTimeoutSeconds = 60 };
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--quick" => options,
                "--warmup" => options with { WarmupSeconds = int.Parse(Value()) },
                "--seconds" => options with { MeasureSeconds = int.Parse(Value()) },
                "--concurrency" => options with { Concurrencies = Value().Split(',').Select(int.Parse).ToList() },
                "--burst" => options with { WebhookBurst = int.Parse(Value()) },
                "--drain-timeout" => options with { DrainTimeoutSeconds = int.Parse(Value()) },
                "--receiver-ms" => options with { ReceiverMilliseconds = int.Parse(Value()) },
                "--only" => options with { Only = Value().Split(',').ToHashSet(StringComparer.OrdinalIgnoreCase) },
                "--out" => options with { ReportPath = Value() },
                "--pg-bin" => options with { PgBinDir = Value() },
                "--note" => options with { Note = Value() },
                "--keep-work" => options with { KeepWork = true },
                var other => throw new ArgumentException($"unknown option {other}; see tests/Awe.Benchmarks/EndToEnd/E2eOptions.cs"),
            };
        }
        if (options.Concurrencies.Count == 0 || options.Concurrencies.Any(c => c < 1)) throw new ArgumentException("--concurrency needs positive numbers");
        if (options.MeasureSeconds < 1 || options.WarmupSeconds < 0) throw new ArgumentException("--seconds must be >= 1 and --warmup >= 0");
        return options;
    }
}
