using System.ComponentModel.DataAnnotations;

namespace Platform.Jobs;

/// <summary>
/// Bounds of a host's jobs (configuration section "Jobs"). A submitted job is accepted work that runs to completion
/// whether or not anyone watches it, so these bounds, not the watchers, keep the work and the store finite.
/// </summary>
public sealed class JobStoreOptions
{
    public const string Section = "Jobs";

    /// <summary>The section these settings had when only the training role had jobs; still read, "Jobs" wins.</summary>
    public const string FormerSection = "Training";

    /// <summary>Jobs queued or running on this host; a submission past it is ResourceExhausted.</summary>
    [Range(1, 1_000_000)]
    public int MaxActiveJobs { get; set; } = 64;

    /// <summary>Finished jobs kept for GetJob, ListJobs and WatchJob; the oldest are evicted beyond it.</summary>
    [Range(1, 10_000_000)]
    public int MaxRetainedJobs { get; set; } = 10_000;

    /// <summary>How long a finished job is kept; it is evicted after that.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan JobRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>WatchJob streams open at once on this host; one more is ResourceExhausted.</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentWatches { get; set; } = 1000;
}
