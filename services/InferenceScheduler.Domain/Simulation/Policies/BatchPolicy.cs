namespace InferenceScheduler.Domain.Simulation.Policies;

/// <summary>
/// Batch policy of one engine core: how many tokens a running or a waiting request contributes to a step within the
/// token budget (<c>max_num_batched_tokens</c>), and how its KV cache is reserved.
/// </summary>
internal interface IBatchPolicy
{
    /// <summary>
    /// True when a running request's KV grows block by block as its tokens are computed (so scheduling it may have to
    /// preempt another); false when everything it will need was reserved at admission.
    /// </summary>
    bool AllocatesOnDemand { get; }

    /// <summary>Tokens a running request computes this step within <paramref name="budget"/> (0 or less:
    /// none).</summary>
    int RunningTokens(in RequestState r, int budget);

    /// <summary>
    /// Whether a waiting request whose first <paramref name="computed"/> tokens are already cached starts this step; if
    /// so the tokens it computes and the tokens of KV to reserve for it. False stops admission for this step (the queue
    /// is ordered).
    /// </summary>
    bool TryAdmit(in RequestState r, int computed, int budget, out int tokens, out int reserveTokens);
}

internal static class BatchPolicy
{
    public static IBatchPolicy For(SchedulerSettings s) => s.Batching == BatchingPolicyKind.Orca
        ? new OrcaBatching(s.LongPrefillTokenThreshold)
        : new ContinuousBatching(s.ChunkedPrefill, s.LongPrefillTokenThreshold);

    /// <summary>What is left of a request's tokens, capped by the long-prefill threshold (0 = none) and the
    /// budget.</summary>
    internal static int Chunk(int remaining, int threshold, int budget)
    {
        int n = remaining;
        if (threshold > 0 && n > threshold) n = threshold;
        if (n > budget) n = budget;
        return n;
    }
}

/// <summary>
/// vLLM V1 continuous batching: every step mixes decodes with prompt chunks (chunked prefill, Sarathi) capped by
/// <c>long_prefill_token_threshold</c>; KV blocks are allocated as tokens are computed. Without chunked prefill a
/// prompt (or a preempted request's recompute) that does not fit the remaining budget waits for a step where it does.
/// </summary>
internal sealed class ContinuousBatching(bool chunkedPrefill, int longPrefillTokenThreshold) : IBatchPolicy
{
    public bool AllocatesOnDemand => true;

    public int RunningTokens(in RequestState r, int budget) =>
        BatchPolicy.Chunk(r.NumTokens - r.Computed, longPrefillTokenThreshold, budget);

    public bool TryAdmit(in RequestState r, int computed, int budget, out int tokens, out int reserveTokens)
    {
        int n = r.NumTokens - computed;
        if (!chunkedPrefill && n > budget) { tokens = reserveTokens = 0; return false; }
        tokens = BatchPolicy.Chunk(n, longPrefillTokenThreshold, budget);
        reserveTokens = computed + tokens;
        return true;
    }
}

/// <summary>
/// Orca iteration-level batching: a prompt is scheduled whole or not at all, and KV for prompt + output is reserved at
/// admission, so a running request never needs another block and is never preempted.
/// </summary>
internal sealed class OrcaBatching(int longPrefillTokenThreshold) : IBatchPolicy
{
    public bool AllocatesOnDemand => false;

    public int RunningTokens(in RequestState r, int budget) =>
        BatchPolicy.Chunk(r.NumTokens - r.Computed, longPrefillTokenThreshold, budget);

    public bool TryAdmit(in RequestState r, int computed, int budget, out int tokens, out int reserveTokens)
    {
        int n = r.NumTokens - computed;
        if (n > budget) { tokens = reserveTokens = 0; return false; }
        tokens = n;
        reserveTokens = r.Input + r.Output;
        return true;
    }
}
