using System.Diagnostics;

namespace Awe.Activities.Runtime;

/// <summary>
/// The engine's spans (System.Diagnostics, no exporter here): the host records them with OpenTelemetry when
/// awe.telemetry.otlp_endpoint is set; without a listener, starting one costs a null check.
/// </summary>
public static class EngineTelemetry
{
    public const string SourceName = "Awe.Engine";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Span names, one per unit of engine work.</summary>
    public static class Spans
    {
        public const string CreateRequest = "awe.request.create";
        public const string Decide = "awe.task.decide";
        public const string ActivateStage = "awe.stage.activate";
        public const string FireTimer = "awe.timer.fire";
        public const string DeliverWebhook = "awe.webhook.deliver";
    }
}
