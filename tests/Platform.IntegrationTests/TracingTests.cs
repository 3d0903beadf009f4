using System.Collections.ObjectModel;
using System.Diagnostics;
using Google.Protobuf;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace Platform.IntegrationTests;

/// <summary>
/// One trace follows a job from the gRPC call that submits it, through the message the bus (RabbitMQ) carries and the
/// consumer that runs it, to the database commands that store it.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class TracingTests(BrokerFixture broker)
{
    /// <summary>What the in-memory exporter receives, safe to read while it adds.</summary>
    private sealed class Spans : Collection<Activity>
    {
        protected override void InsertItem(int index, Activity item)
        {
            lock (this) base.InsertItem(index, item);
        }

        public Activity[] Snapshot()
        {
            lock (this) return [.. this];
        }
    }

    private sealed class TracedPlatformFactory(string brokerUrl, Spans spans) : PlatformFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["RabbitMq:Host"] = brokerUrl,
            ["Platform:QueuePrefix"] = $"t{Guid.NewGuid():N}"[..9],
            ["Platform:AutoDeleteQueues"] = "true",
            // Traces without a collector: the test's in-memory exporter receives them.
            ["Platform:Telemetry:Tracing"] = "true",
        };

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        }
    }

    [Fact]
    public async Task A_job_submitted_over_grpc_is_one_trace_through_the_bus_consumer_and_database()
    {
        var spans = new Spans();
        await using var factory = new TracedPlatformFactory(broker.Url, spans);
        var training = new TrainingCostService.TrainingCostServiceClient(factory.Channel);
        var request = JsonParser.Default.Parse<SubmitEstimateJobRequest>(
            """
            {"run":{"model":{"preset":"llama-3.1-8b"},"trainingTokens":"1000000000000","sequenceLength":"4096",
              "cluster":{"accelerator":"h800","count":"64"},"precision":"PRECISION_BF16"}}
            """);
        string id = (await training.SubmitEstimateJobAsync(request)).JobId;
        Assert.Equal(Platform.Contracts.Common.V1.JobState.Succeeded,
            (await JobPolling.WaitFinished(training, id)).State);

        // The consumer's database writes end just before the job reads as finished, and the consume span (the
        // receive that encloses them) ends after them: wait for all of those spans.
        Activity[] trace = [];
        Activity? server = null, publish = null, consume = null;
        for (int i = 0; i < 100 && (DbUnderConsumer(trace) is null || consume is null); i++)
        {
            if (i > 0) await Task.Delay(100);
            var all = spans.Snapshot();
            server = all.FirstOrDefault(a => a.Kind == ActivityKind.Server
                                             && a.DisplayName.Contains("SubmitEstimateJob"));
            if (server is null) continue;
            trace = [.. all.Where(a => a.TraceId == server.TraceId)];
            // The handler's publish, and the consume of that message (MassTransit links them through its headers).
            publish = trace.FirstOrDefault(a => a.Source.Name == "MassTransit" && a.Kind == ActivityKind.Producer
                                                && Under(trace, a, server.SpanId));
            consume = publish is null ? null
                : trace.FirstOrDefault(a => a.Source.Name == "MassTransit" && a.Kind == ActivityKind.Consumer
                                            && a.ParentSpanId == publish.SpanId);
        }
        Assert.True(server is not null, "no server span for SubmitEstimateJob");
        Assert.True(publish is not null, "no publish span under the gRPC call: " + Describe(trace));
        Assert.True(consume is not null, "no consumer span under the publish: " + Describe(trace));
        // A database command stores the job in the gRPC handler, and another in the consumer.
        Assert.Contains(trace, a => IsDb(a) && Under(trace, a, server!.SpanId) && !Under(trace, a, publish!.SpanId));
        // The job's consumer and the consumer of its completion both write the job; either one's command counts.
        Assert.True(DbUnderConsumer(trace) is not null, "no database span under a consumer: " + Describe(trace));
    }

    private static string Describe(Activity[] trace) =>
        string.Join("; ", trace.Select(a => $"{a.Source.Name}/{a.Kind}/{a.DisplayName}"));

    private static Activity? DbUnderConsumer(Activity[] trace) => trace
        .Where(c => c.Source.Name == "MassTransit" && c.Kind == ActivityKind.Consumer)
        .Select(c => DbUnder(trace, c)).FirstOrDefault(d => d is not null);

    private static Activity? DbUnder(Activity[] trace, Activity? parent) =>
        parent is null ? null : trace.FirstOrDefault(a => IsDb(a) && Under(trace, a, parent.SpanId));

    private static bool IsDb(Activity a) => a.Kind == ActivityKind.Client
                                            && a.Source.Name.Contains("EntityFrameworkCore", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="span"/> descends from the span <paramref name="ancestor"/>.</summary>
    private static bool Under(Activity[] trace, Activity span, ActivitySpanId ancestor)
    {
        var byId = trace.ToDictionary(a => a.SpanId);
        for (var s = span; s is not null; s = byId.GetValueOrDefault(s.ParentSpanId))
            if (s.ParentSpanId == ancestor) return true;
        return false;
    }
}
