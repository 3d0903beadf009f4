using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.Modeling.Telemetry;

/// <summary>
/// The platform's own instruments, on the Meter "Platform" (served on /metrics in Prometheus form: dots become
/// underscores, counters end in _total, a unit in seconds adds _seconds, e.g. platform_jobs_transitions_total;
/// throughputs carry theirs in the name: GFLOP/s, TFLOP/s, requests/s). Recording costs a
/// check and nothing more while no exporter listens, and no allocation with up to three tags.
/// </summary>
public static class PlatformMetrics
{
    public const string MeterName = "Platform";

    /// <summary>The meter and the activity source of the platform's own measurements and spans.</summary>
    public static readonly Meter Meter = new(MeterName);

    public static readonly ActivitySource Source = new(MeterName);

    /// <summary>gRPC calls served: duration by service, method and gRPC status.</summary>
    public static readonly Histogram<double> RpcDuration = Meter.CreateHistogram<double>(
        "platform.rpc.server.duration", "s", "Duration of gRPC calls served, by service, method and status",
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        });

    /// <summary>Jobs entering a state (queued, running, succeeded, failed, cancelled), by kind.</summary>
    public static readonly Counter<long> JobTransitions = Meter.CreateCounter<long>(
        "platform.jobs.transitions", "{transition}", "Jobs entering a state, by kind and state");

    /// <summary>Time from a message's publication to the start of its consumption.</summary>
    public static readonly Histogram<double> QueueLag = Meter.CreateHistogram<double>(
        "platform.bus.queue_lag", "s", "Time from publishing a message to consuming it, by message type",
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
        });

    /// <summary>Consume attempts that were retries of an earlier failed attempt.</summary>
    public static readonly Counter<long> ConsumeRetries = Meter.CreateCounter<long>(
        "platform.bus.consume_retries", "{retry}", "Retried consume attempts, by message type");

    /// <summary>Messages whose consumption failed for good: moved to the queue's _error queue.</summary>
    public static readonly Counter<long> ConsumeFaults = Meter.CreateCounter<long>(
        "platform.bus.consume_faults", "{message}",
        "Messages that failed after their retries and were moved to the _error queue, by message type and exception");

    /// <summary>Request throughput of an inference simulation (simulated requests per simulated second).</summary>
    public static readonly Histogram<double> SimulatedRequestRate = Meter.CreateHistogram<double>(
        "platform.inference.simulated_request_rate", null,
        "Simulated requests per simulated second of each inference simulation",
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.1, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
        });

    /// <summary>Requests the inference simulations completed.</summary>
    public static readonly Counter<long> SimulatedRequests = Meter.CreateCounter<long>(
        "platform.inference.simulated_requests", "{request}",
        "Requests simulated (its rate: the simulator's requests per second of wall time)");

    /// <summary>Measured GFLOP/s of kernels the emulator ran on this host's CPU.</summary>
    public static readonly Histogram<double> KernelGflops = Meter.CreateHistogram<double>(
        "platform.emulator.kernel_gflops", null, "Measured GFLOP/s of emulator kernel runs, by kernel",
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.1, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
        });

    /// <summary>Modelled TFLOP/s the emulator predicts for the device a kernel run was modelled on.</summary>
    public static readonly Histogram<double> ModelledTflops = Meter.CreateHistogram<double>(
        "platform.emulator.modelled_tflops", null,
        "Modelled TFLOP/s of the device for each emulator kernel run, by kernel and device",
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [1, 5, 10, 25, 50, 100, 200, 400, 700, 1000, 2000, 5000],
        });

    /// <summary>Database commands: duration by provider, operation and outcome.</summary>
    public static readonly Histogram<double> DbDuration = Meter.CreateHistogram<double>(
        "platform.db.command.duration", "s", "Duration of database commands, by provider, operation and outcome",
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
        });
}
