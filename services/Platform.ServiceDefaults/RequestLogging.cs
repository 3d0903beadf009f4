using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Modeling.Errors;
using Serilog;
using Serilog.Events;

namespace Platform.ServiceDefaults;

/// <summary>
/// One log line per call, at a level that keeps a busy host's log small: failed calls (a gRPC status other than OK,
/// or an HTTP 5xx) and slow ones (over <c>Platform:Logging:SlowCallMs</c>, default 1,000 ms) at Information or
/// above; every other call at Debug, which the default configuration does not write.
/// </summary>
public static class RequestLogging
{
    public const string SlowCallKey = "Platform:Logging:SlowCallMs";
    private const double DefaultSlowCallMs = 1000;

    public static WebApplication UsePlatformRequestLogging(this WebApplication app)
    {
        double slowMs = app.Configuration.GetValue<double?>(SlowCallKey) ?? DefaultSlowCallMs;
        app.UseSerilogRequestLogging(o =>
        {
            // The host's configured logger (levels and sinks from configuration), not the static bootstrap one.
            o.Logger = app.Services.GetService<ILogger>();
            o.MessageTemplate = "{RequestMethod} {Call} responded {StatusCode} grpc-status {GrpcStatus} in "
                + "{Elapsed:0.0} ms {GrpcMessage}";
            o.EnrichDiagnosticContext = (diagnostics, http) =>
            {
                diagnostics.Set("Call", PlatformException.Quote(http.Request.Path.Value, MaxPathChars));
                diagnostics.Set("GrpcStatus", GrpcStatus(http));
                diagnostics.Set("GrpcMessage", GrpcMessage(http));
            };
            o.GetLevel = (http, elapsedMs, error) => http.RequestAborted.IsCancellationRequested
                ? LogEventLevel.Information // the client went away: its call, not the server, ended it
                : Level(GrpcStatus(http), http.Response.StatusCode, elapsedMs, error is not null, slowMs);
        });
        return app;
    }

    /// <summary>The level of a call's summary line (see the class summary).</summary>
    public static LogEventLevel Level(int? grpcStatus, int httpStatus, double elapsedMs, bool threw, double slowMs)
    {
        if (threw || httpStatus >= 500) return LogEventLevel.Error;
        switch (grpcStatus)
        {
            // Unknown, DeadlineExceeded, Unimplemented, Internal, Unavailable, DataLoss: the server's side.
            case 2 or 4 or 12 or 13 or 14 or 15: return LogEventLevel.Warning;
            case > 0: return LogEventLevel.Information; // the caller's side: invalid, not found, limits, cancelled
        }
        return elapsedMs > slowMs ? LogEventLevel.Information : LogEventLevel.Debug;
    }

    /// <summary>
    /// grpc-dotnet logs a call whose client closed the connection mid-request as an Error with a stack trace; the
    /// call's summary line already says so, so that event is dropped.
    /// </summary>
    public static bool IsClientAbort(LogEvent e) => e.Level >= LogEventLevel.Error
        && e.Exception is IOException { InnerException: ConnectionAbortedException };

    private const int MaxPathChars = 200;
    private const int MaxMessageChars = 300;

    private static int? GrpcStatus(HttpContext http) =>
        int.TryParse(Trailer(http, "grpc-status"), out int code) ? code : null;

    /// <summary>The status message of a failed call, decoded and cut short; empty for a successful one.</summary>
    private static string GrpcMessage(HttpContext http)
    {
        if (http.RequestAborted.IsCancellationRequested) return "(the client closed the call)";
        string raw = Trailer(http, "grpc-message");
        if (raw.Length == 0) return "";
        string text;
        try { text = Uri.UnescapeDataString(raw); }
        catch (UriFormatException) { text = raw; }
        return PlatformException.Quote(text, MaxMessageChars);
    }

    /// <summary>A gRPC trailer: in the trailers, or in the headers of a trailers-only answer.</summary>
    private static string Trailer(HttpContext http, string name)
    {
        var value = http.Features.Get<IHttpResponseTrailersFeature>()?.Trailers[name] ?? default;
        if (value.Count == 0) value = http.Response.Headers[name];
        return value.ToString();
    }

}
