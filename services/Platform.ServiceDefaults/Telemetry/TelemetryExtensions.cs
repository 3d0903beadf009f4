using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Platform.Modeling.Telemetry;

namespace Platform.ServiceDefaults.Telemetry;

/// <summary>
/// Telemetry settings (section "Platform:Telemetry"). OTLP export is on when <see cref="OtlpEndpoint"/> or the
/// standard OTEL_EXPORTER_OTLP_ENDPOINT is set; traces are recorded only then (or with <see cref="Tracing"/> true),
/// so a host without a collector creates no spans. Metrics are always served on /metrics.
/// </summary>
public sealed class TelemetryOptions
{
    public const string Section = "Platform:Telemetry";

    /// <summary>The collector's OTLP endpoint: http://otel-collector:4317 (gRPC) or :4318 (HTTP/protobuf).</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>"grpc" (default) or "http/protobuf"; OTEL_EXPORTER_OTLP_PROTOCOL is read too.</summary>
    public string? OtlpProtocol { get; set; }

    /// <summary>Record traces: null (default) = only when an OTLP endpoint is configured.</summary>
    public bool? Tracing { get; set; }

    /// <summary>The service name traces and metrics carry (service.name; default "platform").</summary>
    public string ServiceName { get; set; } = "platform";

    /// <summary>The OTLP endpoint in effect: Platform:Telemetry:OtlpEndpoint or OTEL_EXPORTER_OTLP_ENDPOINT.</summary>
    public static string? Endpoint(IConfiguration configuration) =>
        configuration[$"{Section}:OtlpEndpoint"] is { Length: > 0 } own ? own
        : configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 } std ? std : null;
}

/// <summary>
/// OpenTelemetry for every role: metrics on /metrics (Prometheus text format) and, when configured, OTLP export of
/// metrics and traces. Traces follow a call from the gRPC server (ASP.NET Core) through the emulator's gRPC client,
/// MassTransit publish and consume (MassTransit carries the trace context in message headers) to the database
/// commands EF Core runs, under one trace id.
/// </summary>
public static class TelemetryExtensions
{
    /// <summary>The ActivitySource MassTransit 8 reports publish, send and consume spans on.</summary>
    public const string MassTransitSource = "MassTransit";

    public static TelemetrySetup AddPlatformTelemetry(this WebApplicationBuilder builder)
    {
        var cfg = builder.Configuration;
        var options = cfg.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        string? endpoint = TelemetryOptions.Endpoint(cfg);
        bool tracing = options.Tracing ?? endpoint is not null;
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(options.ServiceName, serviceInstanceId: Environment.MachineName))
            // ASP.NET Core and gRPC server requests (http.server.request.duration by route, i.e. by gRPC method),
            // .NET runtime, MassTransit's own meter and the platform's (PlatformMetrics).
            .WithMetrics(m =>
            {
                m.AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter(MassTransitSource, PlatformMetrics.MeterName, PlatformMetrics.MeterName + ".*")
                    .AddPrometheusExporter();
                if (endpoint is not null) m.AddOtlpExporter(o => Configure(o, cfg, options, "/v1/metrics"));
            });
        if (tracing)
        {
            otel.WithTracing(t =>
            {
                t.AddSource(MassTransitSource, PlatformMetrics.MeterName)
                    .AddAspNetCoreInstrumentation(o => o.Filter = IsTraced)
                    .AddGrpcClientInstrumentation()
                    .AddEntityFrameworkCoreInstrumentation();
                if (endpoint is not null) t.AddOtlpExporter(o => Configure(o, cfg, options, "/v1/traces"));
            });
        }
        return new TelemetrySetup(tracing, endpoint);
    }

    /// <summary>Probes and scrapes are not traced: they would drown the calls that matter.</summary>
    private static bool IsTraced(HttpContext context)
    {
        var path = context.Request.Path;
        return !path.StartsWithSegments("/metrics") && !path.StartsWithSegments("/health")
               && !path.StartsWithSegments("/grpc.health.v1.Health");
    }

    /// <summary>
    /// Platform:Telemetry:OtlpEndpoint and OtlpProtocol, where set, over the OTEL_EXPORTER_OTLP_* variables the
    /// exporter reads itself. Over HTTP/protobuf the signal's path (/v1/traces, /v1/metrics) is appended to it.
    /// </summary>
    private static void Configure(OtlpExporterOptions o, IConfiguration cfg, TelemetryOptions options,
        string signalPath)
    {
        if (options.OtlpProtocol is { Length: > 0 } p)
            o.Protocol = p.Equals("http/protobuf", StringComparison.OrdinalIgnoreCase)
                ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        if (cfg[$"{TelemetryOptions.Section}:OtlpEndpoint"] is not { Length: > 0 } own) return;
        o.Endpoint = o.Protocol == OtlpExportProtocol.HttpProtobuf
            ? new Uri(own.TrimEnd('/') + signalPath) : new Uri(own);
    }
}

/// <summary>What <see cref="TelemetryExtensions.AddPlatformTelemetry"/> turned on.</summary>
/// <param name="Tracing">Whether spans are recorded.</param>
/// <param name="OtlpEndpoint">Where metrics and traces are exported, or null.</param>
public sealed record TelemetrySetup(bool Tracing, string? OtlpEndpoint);
