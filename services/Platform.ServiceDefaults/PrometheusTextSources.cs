using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.ServiceDefaults;

/// <summary>
/// Metrics in Prometheus text that a role adds to <c>/metrics</c> beside OpenTelemetry's, for names OpenTelemetry
/// cannot carry (instrument names with ':', such as vLLM's <c>vllm:num_requests_running</c>). Register one as a
/// singleton.
/// </summary>
public interface IPrometheusTextSource
{
    /// <summary>Writes the source's metric families; <paramref name="openMetrics"/> when the scrape asked for
    /// OpenMetrics (then without the closing "# EOF", which /metrics writes once).</summary>
    Task WriteAsync(Stream output, bool openMetrics, CancellationToken ct);
}

internal static class PrometheusTextSources
{
    private static readonly byte[] Eof = "# EOF\n"u8.ToArray();

    /// <summary>Appends every <see cref="IPrometheusTextSource"/> to the OpenTelemetry exporter's answer on
    /// <c>/metrics</c> (before its "# EOF" when it wrote OpenMetrics).</summary>
    public static void UsePrometheusTextSources(this WebApplication app)
    {
        var sources = app.Services.GetServices<IPrometheusTextSource>().ToArray();
        if (sources.Length == 0) return;
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.Equals("/metrics", StringComparison.Ordinal))
            {
                await next(context);
                return;
            }
            var original = context.Response.Body;
            using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            try { await next(context); }
            finally { context.Response.Body = original; }
            var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
            if (context.Response.StatusCode != StatusCodes.Status200OK)
            {
                await original.WriteAsync(body, context.RequestAborted);
                return;
            }
            bool openMetrics = body.Span.EndsWith(Eof);
            context.Response.ContentLength = null;
            await original.WriteAsync(openMetrics ? body[..^Eof.Length] : body, context.RequestAborted);
            foreach (var s in sources) await s.WriteAsync(original, openMetrics, context.RequestAborted);
            if (openMetrics) await original.WriteAsync(Eof, context.RequestAborted);
        });
    }
}
