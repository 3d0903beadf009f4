using InferenceScheduler.Domain.Timing;

namespace InferenceScheduler.Domain.Simulation;

public enum BatchingPolicyKind { VllmV1, Orca }
public enum SchedulingPolicyKind { Fcfs, Priority }
public enum RouterKind { RoundRobin, LeastOutstanding, KvCacheAware }

/// <summary>vLLM engine settings of an instance (names as vLLM's CLI); <see cref="Speculative"/> null = plain
/// decoding, one token per sequence and step.</summary>
public sealed record SchedulerSettings(
    int MaxNumSeqs, int MaxNumBatchedTokens, int LongPrefillTokenThreshold, int BlockSize,
    bool ChunkedPrefill, bool PrefixCaching, SchedulingPolicyKind Policy, BatchingPolicyKind Batching,
    SpeculativeDecoding? Speculative = null);

/// <summary>
/// A pool of identical instances (each one vLLM engine core with its own KV cache). <see cref="LockstepGroupSize"/>
/// consecutive instances step together (the DP ranks of one expert-parallel group).
/// <see cref="PricePerAcceleratorHour"/> null = the run's price
/// (<see cref="SimulationSetup.PricePerAcceleratorHour"/>); a pool on another accelerator has its own.
/// </summary>
public sealed record PoolSetup(
    string Name, int Instances, int AcceleratorsPerInstance, long KvTokensPerInstance, SchedulerSettings Scheduler,
    IStepTimeModel Time, double WeightBytesPerAccelerator = 0, double KvBytesPerTokenPerAccelerator = 0,
    int LockstepGroupSize = 1, double? PricePerAcceleratorHour = null);

/// <summary>Latency objectives in seconds; 0 = not set.</summary>
public sealed record SloTargets(double TtftSeconds, double TpotSeconds, double E2eSeconds)
{
    public bool Any => TtftSeconds > 0 || TpotSeconds > 0 || E2eSeconds > 0;
}

/// <summary>
/// Everything a run needs. <see cref="Decode"/> null = colocated (the <see cref="Prefill"/> pool serves whole
/// requests); otherwise prompts run on the prefill pool and KV moves to the decode pool at
/// <see cref="KvTransferBytesPerSecond"/> per accelerator. A window (end &gt; start) also counts per-pool token rates
/// inside it, for steady-state figures without ramp-up and drain.
/// </summary>
public sealed record SimulationSetup(
    PoolSetup Prefill, PoolSetup? Decode, RouterKind Router, SloTargets Slo,
    double KvTransferBytesPerSecond = 50e9, double KvTransferLatencySeconds = 0,
    int PriorityClasses = 1, double PricePerAcceleratorHour = 0, double TimelineWidthSeconds = 0,
    double WindowStartSeconds = 0, double WindowEndSeconds = 0);
