using Awe.Host.Configuration;
using Awe.Host.Observability;

namespace Awe.Host.Tests.Observability;

public sealed class ObservabilitySettingsTests
{
    private static List<string> Problems(AweOptions options, string section) =>
        ConfigurationSetup.Validate(options, "Development").Where(p => p.StartsWith($"awe.{section}.")).ToList();

    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.Empty(Problems(new AweOptions(), "rate_limit"));
        Assert.Empty(Problems(new AweOptions(), "telemetry"));
    }

    [Theory]
    [InlineData(0, 60, "awe.rate_limit.permit_limit must be ≥ 1 (got 0)")]
    [InlineData(10, 0, "awe.rate_limit.window_seconds must be between 1 and 3600 (got 0)")]
    [InlineData(10, 3601, "awe.rate_limit.window_seconds must be between 1 and 3600 (got 3601)")]
    public void A_rate_limit_that_cannot_work_stops_the_start(int permits, int window, string problem)
    {
        var options = new AweOptions { RateLimit = { Enabled = true, PermitLimit = permits, WindowSeconds = window } };
        Assert.Equal([problem], Problems(options, "rate_limit"));
    }

    [Theory]
    [InlineData("otel-collector:4317", "grpc", 1.0, 15, "awe.telemetry.otlp_endpoint must be an absolute http(s) URL")]
    [InlineData("http://c:4317", "udp", 1.0, 15, "awe.telemetry.otlp_protocol must be grpc or http (got 'udp')")]
    [InlineData("", "grpc", 1.5, 15, "awe.telemetry.sample_ratio must be between 0 and 1 (got 1.5)")]
    [InlineData("", "grpc", double.NaN, 15, "awe.telemetry.sample_ratio must be between 0 and 1")]
    [InlineData("", "grpc", 1.0, 0, "awe.telemetry.gauge_refresh_seconds must be ≥ 1 (got 0)")]
    public void Telemetry_settings_are_checked_at_start(string endpoint, string protocol, double ratio, int refresh, string problem)
    {
        var options = new AweOptions { Telemetry = { OtlpEndpoint = endpoint, OtlpProtocol = protocol, SampleRatio = ratio, GaugeRefreshSeconds = refresh } };
        Assert.StartsWith(problem, Assert.Single(Problems(options, "telemetry")));
    }

    [Theory]
    [InlineData("http://c:4318", "http", "http://c:4318/v1/traces")]
    [InlineData("http://c:4318/", "http", "http://c:4318/v1/traces")]
    [InlineData("http://c:4318/otlp/v1/traces", "http", "http://c:4318/otlp/v1/traces")]
    [InlineData("http://c:4317", "grpc", "http://c:4317/")]
    public void The_http_endpoint_names_the_traces_resource(string endpoint, string protocol, string expected) =>
        Assert.Equal(expected, TelemetrySetup.Endpoint(new TelemetryOptions { OtlpEndpoint = endpoint, OtlpProtocol = protocol }).ToString());
}
