using InferenceScheduler.Domain.Metrics;

namespace InferenceScheduler.Domain.Simulation;

/// <summary>Per-pool figures of a run.</summary>
public sealed record PoolResult(
    string Name, int Instances, int Accelerators, long KvTokensPerInstance, double WeightBytesPerAccelerator,
    double BusyFraction, double InputTokensPerSecondPerNode, double OutputTokensPerSecondPerNode,
    double MeanKvUtilization, double PrefillBusyShare, double WindowInputTokensPerSecondPerNode = 0,
    double WindowOutputTokensPerSecondPerNode = 0);

/// <summary>Outcome of a whole run (times in seconds, latency distributions in milliseconds).</summary>
public sealed record SimulationResult(
    long CompletedRequests, double SimulatedSeconds, long InputTokens, long OutputTokens, long CachedTokens,
    DistributionSummary TtftMs, DistributionSummary TpotMs, DistributionSummary ItlMs, DistributionSummary E2eMs,
    DistributionSummary SchedulingDelayMs,
    long MetSlo, long Preemptions, long RecomputedTokens, long Steps, double MeanRequestsInSystem,
    double MeanKvUtilization, double PeakKvUtilization, double MeanAcceleratorUtilization,
    IReadOnlyList<TimelineSample> Timeline, IReadOnlyList<PoolResult> Pools,
    double AcceleratorHours, double TotalUsd, double InputUsd, double OutputUsd)
{
    public double RequestThroughput => SimulatedSeconds > 0 ? CompletedRequests / SimulatedSeconds : 0;
    public double InputTokenThroughput => SimulatedSeconds > 0 ? InputTokens / SimulatedSeconds : 0;
    public double OutputTokenThroughput => SimulatedSeconds > 0 ? OutputTokens / SimulatedSeconds : 0;
    public double Goodput => SimulatedSeconds > 0 ? MetSlo / SimulatedSeconds : 0;
    public double SloAttainment => CompletedRequests > 0 ? (double)MetSlo / CompletedRequests : 0;
    public double PrefixHitRate => InputTokens > 0 ? (double)CachedTokens / InputTokens : 0;
}
