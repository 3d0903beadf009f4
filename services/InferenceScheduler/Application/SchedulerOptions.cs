using InferenceScheduler.Domain.Serving;
using InferenceScheduler.Domain.Simulation;
using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Application;

/// <summary>
/// Engine scheduler settings of a pool (vLLM CLI names) and the router across instances, from the deployment.
/// </summary>
internal static class SchedulerOptions
{
    /// <summary>
    /// <c>max_num_seqs</c> and <c>max_num_batched_tokens</c> of a pool: its spec's, else the deployment's, else vLLM's
    /// defaults for the accelerator (1024 sequences and 8192 tokens on 70 GiB or more, 256 and 2048 below).
    /// </summary>
    public static (int MaxNumSeqs, long MaxNumBatchedTokens) BatchLimits(Deployment dep, PoolSpec? spec,
        AcceleratorInfo acc)
    {
        int maxSeqs = spec is { MaxNumSeqs: > 0 } ? spec.MaxNumSeqs : dep.MaxNumSeqs;
        long maxTokens = spec is { MaxNumBatchedTokens: > 0 } ? spec.MaxNumBatchedTokens : dep.MaxNumBatchedTokens;
        if (maxSeqs == 0) maxSeqs = acc.HbmGiB >= 70 ? 1024 : 256;
        if (maxTokens == 0) maxTokens = acc.HbmGiB >= 70 ? 8192 : 2048;
        return (maxSeqs, maxTokens);
    }

    public static SchedulerSettings Settings(Deployment dep, int maxSeqs, long maxTokens, int blockSize) =>
        new(maxSeqs, (int)maxTokens, (int)dep.LongPrefillTokenThreshold, blockSize,
            !dep.DisableChunkedPrefill, !dep.DisablePrefixCaching,
            dep.SchedulingPolicy == Platform.Contracts.Inference.V1.SchedulingPolicy.Priority
                ? SchedulingPolicyKind.Priority
                : SchedulingPolicyKind.Fcfs,
            dep.BatchingPolicy == Platform.Contracts.Inference.V1.BatchingPolicy.Orca
                ? BatchingPolicyKind.Orca
                : BatchingPolicyKind.VllmV1,
            Speculative(dep.Speculative));

    /// <summary>The deployment's speculative decoding (validated); null when unset or with no draft tokens.</summary>
    public static Domain.Simulation.SpeculativeDecoding? Speculative(
        Platform.Contracts.Inference.V1.SpeculativeDecoding? s) =>
        s is { DraftTokens: > 0 } ? new(s.DraftTokens, s.AcceptanceRate) : null;

    public static RouterKind Router(RouterPolicy policy) => policy switch
    {
        RouterPolicy.RoundRobin => RouterKind.RoundRobin,
        RouterPolicy.KvCacheAware => RouterKind.KvCacheAware,
        _ => RouterKind.LeastOutstanding,
    };
}
