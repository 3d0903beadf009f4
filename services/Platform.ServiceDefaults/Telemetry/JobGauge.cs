using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Platform.Jobs;
using Platform.Modeling.Telemetry;

namespace Platform.ServiceDefaults.Telemetry;

/// <summary>
/// The platform.jobs gauge: the jobs this process holds, by kind and state, read from the <see cref="JobStore"/> of
/// each running host when metrics are collected (a scrape), not on every change. One gauge per process on the
/// meter "Platform" (a host registers its store while it runs), so hosts sharing a process (tests) cannot register
/// the same instrument twice.
/// </summary>
public sealed class JobGauge(JobStore jobs) : IHostedService
{
    private static readonly ConcurrentDictionary<JobStore, byte> Stores = new();

    static JobGauge() =>
        PlatformMetrics.Meter.CreateObservableGauge("platform.jobs", Observe, "{job}",
            "Jobs this instance holds, by kind and state (queued, running, and finished ones within retention)");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Stores.TryAdd(jobs, 0);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Stores.TryRemove(jobs, out _);
        return Task.CompletedTask;
    }

    private static IEnumerable<Measurement<int>> Observe()
    {
        var totals = new Dictionary<(string Kind, JobStatus Status), int>();
        foreach (var store in Stores.Keys)
            foreach (var (key, count) in store.CountByKindAndStatus())
                totals[key] = totals.GetValueOrDefault(key) + count;
        return totals.Select(c => new Measurement<int>(c.Value,
            new KeyValuePair<string, object?>("kind", c.Key.Kind),
            new KeyValuePair<string, object?>("state", JobStore.StateLabel(c.Key.Status))));
    }
}
