using Platform.Modeling.Telemetry;

namespace Platform.Jobs;

public sealed partial class JobStore
{
    /// <summary>
    /// The jobs held here by kind and state (what the platform.jobs gauge reports): this instance's queued, running
    /// and retained finished jobs.
    /// </summary>
    public IReadOnlyDictionary<(string Kind, JobStatus Status), int> CountByKindAndStatus()
    {
        var counts = new Dictionary<(string, JobStatus), int>();
        foreach (var e in _jobs.Values)
        {
            var key = (e.Job.Kind, e.Job.Status);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }

    /// <summary>The label a state has in metrics.</summary>
    public static string StateLabel(JobStatus status) => status switch
    {
        JobStatus.Queued => "queued",
        JobStatus.Running => "running",
        JobStatus.Succeeded => "succeeded",
        JobStatus.Failed => "failed",
        JobStatus.Cancelled => "cancelled",
        _ => "unknown",
    };

    private static void CountTransition(string kind, JobStatus status) =>
        PlatformMetrics.JobTransitions.Add(1, new KeyValuePair<string, object?>("kind", kind),
            new KeyValuePair<string, object?>("state", StateLabel(status)));
}
