using MassTransit;
using MassTransit.Middleware;
using Platform.Modeling.Telemetry;

namespace Platform.ServiceDefaults.Telemetry;

/// <summary>
/// Bus measurements: queue lag (platform.bus.queue_lag: from the message's SentTime to the first consume attempt of
/// a delivery) and retried attempts (platform.bus.consume_retries), labelled by message type.
/// </summary>
public sealed class ConsumeMetricsObserver : IConsumeObserver
{
    public Task PreConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (context.GetRetryAttempt() > 0)
        {
            PlatformMetrics.ConsumeRetries.Add(1, new KeyValuePair<string, object?>("message_type", Label<T>.Name));
        }
        else if (context.SentTime is { } sent && PlatformMetrics.QueueLag.Enabled)
        {
            double lag = Math.Max(0, (DateTime.UtcNow - sent).TotalSeconds);
            PlatformMetrics.QueueLag.Record(lag, new KeyValuePair<string, object?>("message_type", Label<T>.Name));
        }
        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;

    private static class Label<T>
    {
        public static readonly string Name = typeof(T).Name;
    }
}

/// <summary>
/// Counts messages moved to an _error queue (platform.bus.consume_faults, by queue and exception type), in the
/// error pipe ahead of MassTransit's own fault and error-transport filters.
/// </summary>
public sealed class ErrorQueueMetricsFilter : IFilter<ExceptionReceiveContext>
{
    public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        string queue = context.InputAddress.AbsolutePath.TrimEnd('/').Split('/')[^1];
        PlatformMetrics.ConsumeFaults.Add(1, new KeyValuePair<string, object?>("queue", queue),
            new KeyValuePair<string, object?>("exception", context.Exception.GetType().Name));
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("platform-error-metrics");

    /// <summary>The error pipe MassTransit uses by default, with this filter first.</summary>
    public static void Configure(IReceiveEndpointConfigurator endpoint) =>
        endpoint.ConfigureError(x =>
        {
            x.UseFilter(new ErrorQueueMetricsFilter());
            x.UseFilter(new GenerateFaultFilter());
            x.UseFilter(new ErrorTransportFilter());
        });
}
