using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Platform.Jobs;
using Platform.Modeling.Telemetry;

namespace Platform.ServiceDefaults.Telemetry;

/// <summary>
/// The platform.jobs gauge: the jobs this instance holds, by kind and state, read from its <see cref="JobStore"/>
/// when metrics are collected (a scrape), not on every change. Each host has its own meter (from the host's
/// <see cref="IMeterFactory"/>), so the gauge reads the store of its host.
/// </summary>
public sealed class JobGauge(JobStore jobs, IMeterFactory meters) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var meter = meters.Create(PlatformMetrics.MeterName);
        meter.CreateObservableGauge("platform.jobs", Observe, "{job}",
            "Jobs this instance holds, by kind and state (queued, running, and finished ones within retention)");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private IEnumerable<Measurement<int>> Observe() =>
        jobs.CountByKindAndStatus().Select(c => new Measurement<int>(c.Value,
            new KeyValuePair<string, object?>("kind", c.Key.Kind),
            new KeyValuePair<string, object?>("state", JobStore.StateLabel(c.Key.Status))));
}
