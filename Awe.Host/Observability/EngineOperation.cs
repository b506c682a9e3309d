using System.Diagnostics;
using Awe.Activities.Runtime;

namespace Awe.Host.Observability;

/// <summary>
/// One unit of engine work (a create, a decision, a timer firing, a webhook attempt): its span, parent of the database
/// commands it sends, and its duration in awe_operation_duration_seconds. Dispose at the end of the work.
/// </summary>
public readonly struct EngineOperation : IDisposable
{
    private readonly string _operation;
    private readonly long _started;

    private EngineOperation(string operation, Activity? span)
    {
        _operation = operation;
        _started = Stopwatch.GetTimestamp();
        Span = span;
    }

    /// <summary>Null when nothing records traces (awe.telemetry.otlp_endpoint empty and no other listener).</summary>
    public Activity? Span { get; }

    public static EngineOperation Start(string operation, string spanName, ActivityKind kind = ActivityKind.Internal) =>
        new(operation, EngineTelemetry.Source.StartActivity(spanName, kind));

    public void Dispose()
    {
        AweMetrics.OperationDuration.WithLabels(_operation).Observe(Stopwatch.GetElapsedTime(_started).TotalSeconds);
        Span?.Dispose();
    }
}
