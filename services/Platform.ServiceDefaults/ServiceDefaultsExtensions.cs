using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Platform.ServiceDefaults.Rest;
using Platform.ServiceDefaults.Security;
using Platform.ServiceDefaults.Telemetry;
using Serilog;

namespace Platform.ServiceDefaults;

/// <summary>Wiring every role shares: Serilog, gRPC with error mapping, health, reflection.</summary>
public static class ServiceDefaultsExtensions
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <summary>
    /// Largest request message, bytes (Platform:MaxMessageBytes): 16 MiB, above the largest inline trace or
    /// architecture a caller sends; the emulator's service has its own limit (Emulator:MaxMessageBytes) for kernel
    /// tensors. A larger message is refused (ResourceExhausted) before it is buffered.
    /// </summary>
    public const int DefaultMaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>A console logger for start-up, replaced by the configured one once the host is built.</summary>
    public static void UseBootstrapLogger()
    {
        if (Log.Logger.GetType().Name == "SilentLogger")
            Log.Logger = new LoggerConfiguration().WriteTo.Console().CreateBootstrapLogger();
    }

    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        // preserveStaticLogger: several hosts may share a process (tests); each gets its own logger.
        builder.Services.AddSerilog((sp, lc) => PlatformLogging.Configure(lc
            .ReadFrom.Configuration(builder.Configuration)
            .ReadFrom.Services(sp)
            .Filter.ByExcluding(RequestLogging.IsClientAbort)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("Roles", builder.Configuration["Platform:Roles"] ?? "all"), builder.Configuration),
            preserveStaticLogger: true);

        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<ErrorMappingInterceptor>();
            o.EnableDetailedErrors = false;
            o.MaxReceiveMessageSize =
                builder.Configuration.GetValue<int?>("Platform:MaxMessageBytes") ?? DefaultMaxMessageBytes;
        }).AddJsonTranscoding(RestApi.Configure); // REST: the google.api.http routes (docs/REST.md)
        builder.AddPlatformOpenApi();
        builder.Services.AddGrpcRequestDecoding();
        // API keys and JWT bearer tokens with read/write scopes (Auth), per-client rate limits (RateLimit).
        builder.AddPlatformSecurity();
        builder.Services.AddGrpcReflection();
        // Metrics in Prometheus text format on the HTTP endpoint's /metrics (ASP.NET Core and gRPC server requests,
        // .NET runtime, MassTransit and the platform's own meter); traces and OTLP export when configured.
        builder.AddPlatformTelemetry();
        builder.Services.AddGrpcHealthChecks(o =>
        {
            o.Services.Map("", r => r.Tags.Contains(ReadyTag));
            o.Services.Map("liveness", r => r.Tags.Contains(LiveTag));
            o.Services.Map("readiness", r => r.Tags.Contains(ReadyTag));
        }).AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag, ReadyTag]);
        return builder;
    }

    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        app.UsePlatformRequestLogging();
        app.UsePlatformRpcMetrics();
        // The web page (the host's wwwroot) and the OpenAPI document describe the API and hold no data: like
        // reflection they need no credentials; every REST call they lead to does.
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UsePlatformOpenApi();
        app.UsePlatformSecurity();
        // Health checks stay open to probes. Reflection (Platform:Reflection, default on) describes the API — its
        // schema, no data — so buf curl and grpcurl work without .proto files; every call it leads to needs
        // credentials. Turn it off where even the schema is private.
        app.MapGrpcHealthChecksService();
        if (app.Configuration.GetValue("Platform:Reflection", true)) app.MapGrpcReflectionService();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains(ReadyTag) });
        // Roles' own Prometheus text (IPrometheusTextSource) follows OpenTelemetry's on the same page.
        app.UsePrometheusTextSources();
        app.MapPrometheusScrapingEndpoint("/metrics");
        if (!app.Environment.WebRootFileProvider.GetFileInfo("index.html").Exists)
            app.MapGet("/", () => "Platform: gRPC on the Grpc endpoint (h2c); REST under /api/v1, "
                + "/health/live, /health/ready and /metrics here.");
        return app;
    }
}
