using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.Benchmarks;

/// <summary>
/// `http-metrics`: what the host's HTTP request metrics (ASP.NET Core's http.server.* instruments, collected by the
/// OpenTelemetry ASP.NET Core instrumentation that AddPlatformTelemetry turns on) cost per request. Two minimal
/// Kestrel hosts, alike but for AddPlatformTelemetry, each answer --requests streamed responses of --chunks flushed
/// chunks (a live stream's shape: one request, many writes) to an in-process HTTP/1.1 client; the process-wide bytes
/// allocated per request (GC.GetTotalAllocatedBytes, precise) are printed for both and their difference is the
/// metrics' cost per request. Repeated --rounds times, alternating, to show the spread.
/// </summary>
public static class HttpMetricsBenchmark
{
    public static int Run(string[] args)
    {
        int Arg(string name, int fallback)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length
                ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
        }
        return RunAsync(Arg("--requests", 2000), Arg("--chunks", 64), Arg("--rounds", 3)).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int requests, int chunks, int rounds)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 });
        // One host at a time: a MeterProvider or ActivityListener listens process-wide (by meter and source name),
        // so a host without telemetry measured beside one with it would pay for it too.
        var off = await Phase(client, Telemetry.None, requests, chunks, rounds);
        var on = await Phase(client, Telemetry.Metrics, requests, chunks, rounds);
        var spans = await Phase(client, Telemetry.MetricsAndTraces, requests, chunks, rounds);
        Console.WriteLine($"{{\"requests\":{requests},\"chunks_per_request\":{chunks}," +
            $"\"bytes_per_request_without_metrics\":[{string.Join(',', off.Select(b => b.ToString("F0")))}]," +
            $"\"bytes_per_request_with_metrics\":[{string.Join(',', on.Select(b => b.ToString("F0")))}]," +
            $"\"bytes_per_request_with_metrics_and_traces\":[{string.Join(",", spans.Select(b => $"{b:F0}"))}]," +

            $"\"metrics_bytes_per_request_median\":{Median(on) - Median(off):F0}," +
            $"\"traces_bytes_per_request_median\":{Median(spans) - Median(on):F0}}}");
        return 0;
    }

    private static async Task<List<double>> Phase(HttpClient client, Telemetry telemetry, int requests, int chunks,
        int rounds)
    {
        await using var app = await Start(telemetry, chunks);
        await Measure(client, app, requests / 4); // warm-up: JIT, connection, the instruments' first tag sets
        var bytes = new List<double>();
        for (int r = 0; r < rounds; r++) bytes.Add(await Measure(client, app, requests));
        if (telemetry == Telemetry.Metrics)
        {
            // The instruments were live: every request is counted (http.server.request.duration on /metrics).
            string scrape = await client.GetStringAsync(app.Urls.First() + "/metrics");
            Console.WriteLine(scrape.Split('\n').FirstOrDefault(l =>
                l.StartsWith("http_server_request_duration_seconds_count", StringComparison.Ordinal) &&
                l.Contains("/stream", StringComparison.Ordinal)) ?? "(no http_server_request_duration_seconds_count)");
        }
        return bytes;
    }

    private static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);

    private static async Task<double> Measure(HttpClient client, WebApplication app, int requests)
    {
        string url = app.Urls.First() + "/stream";
        GC.Collect();
        long before = GC.GetTotalAllocatedBytes(true);
        for (int i = 0; i < requests; i++)
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            await body.CopyToAsync(Stream.Null);
        }
        return (GC.GetTotalAllocatedBytes(true) - before) / (double)requests;
    }

    private enum Telemetry { None, Metrics, MetricsAndTraces }

    private static async Task<WebApplication> Start(Telemetry telemetry, int chunks)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
        // Traces recorded but exported nowhere (no OTLP endpoint): the spans' own cost.
        if (telemetry == Telemetry.MetricsAndTraces)
            builder.Configuration[TelemetryOptions.Section + ":Tracing"] = "true";
        if (telemetry != Telemetry.None) builder.AddPlatformTelemetry();
        var app = builder.Build();
        if (telemetry != Telemetry.None) app.MapPrometheusScrapingEndpoint();
        byte[] chunk = "data: {\"token\":\"x\"}\n\n"u8.ToArray();
        app.MapGet("/stream", async (HttpContext context) =>
        {
            for (int i = 0; i < chunks; i++)
            {
                await context.Response.Body.WriteAsync(chunk);
                await context.Response.Body.FlushAsync();
            }
        });
        await app.StartAsync();
        return app;
    }
}
