namespace InferenceScheduler.Domain.Simulation;

/// <summary>Mutable state of one in-flight request (a slot in the simulator's table, reused after it
/// completes).</summary>
internal struct RequestState
{
    public long Index;
    public double Arrival;
    public int Input, Output;
    /// <summary>Output tokens sampled so far.</summary>
    public int Generated;
    /// <summary>Tokens whose KV is computed (vLLM num_computed_tokens).</summary>
    public int Computed;
    /// <summary>Tokens scheduled in the current step.</summary>
    public int Scheduled;
    /// <summary>Output tokens the last step sampled (more than 1 with speculative decoding).</summary>
    public int Emitted;
    /// <summary>Fraction of a token speculative decoding carries to the next step (<see
    /// cref="SpeculativeDecoding.Emit"/>).</summary>
    public double DraftCarry;
    public int[]? Hashes;
    /// <summary>Leading hash units the request holds references on (prefix-cache blocks).</summary>
    public int HashRefs;
    /// <summary>KV blocks held outside the prefix cache.</summary>
    public int PrivateBlocks;
    public int CachedTokens;
    public int Preemptions;
    public int Priority;
    public int Instance;
    public int Pool;
    public bool Admitted;
    public double FirstScheduled, FirstToken, LastToken;
    public readonly int NumTokens => Input + Generated;
}

/// <summary>What happened to one request.</summary>
public readonly record struct RequestOutcome(
    long Index, double ArrivalSeconds, int InputTokens, int OutputTokens, double TtftSeconds, double TpotSeconds,
    double E2eSeconds, double SchedulingDelaySeconds, int CachedTokens, int Preemptions, int Instance, bool MetSlo);
