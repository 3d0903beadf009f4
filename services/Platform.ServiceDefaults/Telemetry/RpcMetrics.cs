using System.Diagnostics;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Platform.Modeling.Telemetry;

namespace Platform.ServiceDefaults.Telemetry;

/// <summary>
/// Records platform.rpc.server.duration for every gRPC call served (labels rpc_service, rpc_method and
/// rpc_grpc_status_code, e.g. OK, INVALID_ARGUMENT): the call rate, latency and error ratio per method. Labels come
/// from the endpoint's metadata and a fixed table, so a call allocates nothing for them.
/// </summary>
public static class RpcMetrics
{
    private static readonly string[] StatusNames =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    public static WebApplication UsePlatformRpcMetrics(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var method = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method;
            if (method is null || !PlatformMetrics.RpcDuration.Enabled)
            {
                await next(context);
                return;
            }
            long start = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                PlatformMetrics.RpcDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds,
                    new KeyValuePair<string, object?>("rpc.service", method.ServiceName),
                    new KeyValuePair<string, object?>("rpc.method", method.Name),
                    new KeyValuePair<string, object?>("rpc.grpc.status_code", Status(context)));
            }
        });
        return app;
    }

    /// <summary>The call's grpc-status, from the trailers (or the headers of a trailers-only response).</summary>
    internal static string Status(HttpContext context)
    {
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        string? value = trailers is not null && trailers.TryGetValue("grpc-status", out var t) ? t.ToString()
            : context.Response.Headers.TryGetValue("grpc-status", out var h) ? h.ToString() : null;
        if (value is null) return context.RequestAborted.IsCancellationRequested ? "CANCELLED" : "UNKNOWN";
        return int.TryParse(value, out int code) && (uint)code < (uint)StatusNames.Length ? StatusNames[code]
            : "UNKNOWN";
    }
}
