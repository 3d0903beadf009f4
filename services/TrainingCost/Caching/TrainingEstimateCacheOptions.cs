using System.ComponentModel.DataAnnotations;

namespace TrainingCost.Caching;

/// <summary>Settings of the training estimate cache (section <c>Platform:TrainingCost:EstimateCache</c>).</summary>
public sealed class TrainingEstimateCacheOptions
{
    public const string Section = "Platform:TrainingCost:EstimateCache";

    /// <summary>Estimates kept (one entry per distinct run); 0 turns the cache off.</summary>
    [Range(0, 1_000_000)]
    public int MaxEntries { get; set; } = 4096;

    /// <summary>How long an estimate is answered from the cache after it was computed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromMinutes(30);
}
