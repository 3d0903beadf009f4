using InferenceScheduler.Domain.Workloads;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Simulation;

/// <summary>
/// What one request needs from a deployment before it can ever be served, checked for every request of a workload
/// before the run starts, so a run never fails part-way on bad input (and never reports results of a run that then
/// fails). When the workload's length bounds and request count already prove every request servable nothing more is
/// done; otherwise (unbounded lengths, a duration, a trace) a replay of the workload is scanned, which keeps nothing
/// per request and costs a few percent of simulating it (about 0.25 s per million lognormal requests).
/// <list type="bullet">
/// <item>KV cache: prompt + output must fit one instance's KV cache (a request alone must be able to finish).</item>
/// <item>Step budget: Orca batching schedules a prompt whole, and so does vLLM without chunked prefill, which also
/// recomputes a preempted request whole (prompt + output − 1 tokens at most). Such a step must fit
/// <c>max_num_batched_tokens</c>, or the request waits forever; vLLM itself refuses to start with chunked prefill off
/// and
/// <c>max_num_batched_tokens</c> below <c>max_model_len</c>.</item>
/// </list>
/// Errors are FailedPrecondition naming the workload field, with the request's trace line or index and needed vs
/// available.
/// </summary>
public sealed class WorkloadCheck
{
    private enum StepRule { None, Prompt, PromptAndOutput }

    private readonly record struct PoolRule(string Name, long KvTokens, int KvSlack, StepRule Step, int Budget,
        bool Orca);

    private readonly PoolRule[] _pools;

    public WorkloadCheck(SimulationSetup setup)
    {
        bool disaggregated = setup.Decode is not null;
        PoolRule Rule(PoolSetup p, bool isDecode)
        {
            var s = p.Scheduler;
            bool orca = s.Batching == BatchingPolicyKind.Orca;
            // Orca reserves prompt + output at admission; a vLLM prefill pool hands the request off after its first
            // token.
            int slack = orca || isDecode || !disaggregated ? 0 : 1;
            var step = orca ? (isDecode ? StepRule.None : StepRule.Prompt)
                : s.ChunkedPrefill ? StepRule.None
                : disaggregated && !isDecode ? StepRule.Prompt : StepRule.PromptAndOutput;
            return new PoolRule(p.Name, p.KvTokensPerInstance, slack, step, s.MaxNumBatchedTokens, orca);
        }
        _pools = setup.Decode is { } d ? [Rule(setup.Prefill, false), Rule(d, true)] : [Rule(setup.Prefill, false)];
    }

    /// <summary>
    /// Checks every request of a replay of <paramref name="source"/> (its own position is untouched). Returns false
    /// when the source cannot be replayed: the caller must then <see cref="Check"/> each request as it arrives.
    /// </summary>
    public bool CheckAll(WorkloadSource source, CancellationToken ct = default)
    {
        if (source.CountKnown && source.MaxRequestTokens > 0 && Servable(source.MaxRequestTokens)) return true;
        var scan = source.Replay();
        if (scan is null) return false;
        long index = 0;
        while (scan.TryNext(out var r))
        {
            Check(source, index, r);
            if ((++index & 65535) == 0) ct.ThrowIfCancellationRequested();
        }
        return true;
    }

    /// <summary>Whether any request of at most <paramref name="tokens"/> prompt + output tokens passes every rule (a
    /// prompt is shorter than that too).</summary>
    private bool Servable(long tokens)
    {
        foreach (var p in _pools)
            if (tokens - p.KvSlack > p.KvTokens || (p.Step != StepRule.None && tokens > p.Budget)) return false;
        return true;
    }

    /// <summary>Throws <see cref="PreconditionFailedException"/> when request <paramref name="index"/> of
    /// <paramref name="source"/> can never be served.</summary>
    public void Check(WorkloadSource source, long index, in TraceRequest r)
    {
        if (WhyUnservable(r.InputTokens, r.OutputTokens) is { } why)
            throw new PreconditionFailedException(source.RequestsField, $"{source.Locate(index, r)}: {why}");
    }

    /// <summary>Why a request of these lengths can never be served here (null when it can).</summary>
    public string? WhyUnservable(int inputTokens, int outputTokens)
    {
        long total = (long)inputTokens + outputTokens;
        foreach (var p in _pools)
        {
            long kv = total - p.KvSlack;
            if (kv > p.KvTokens)
                return $"a request of {inputTokens} prompt + {outputTokens} output tokens needs {kv} KV-cache tokens " +
                       $"but a {p.Name} instance holds {p.KvTokens}; bound the lengths (max) or give the deployment " +
                       "more KV cache";
            long step =
                p.Step switch { StepRule.Prompt => inputTokens, StepRule.PromptAndOutput => total - 1, _ => 0 };
            if (step > p.Budget)
                return $"a request of {inputTokens} prompt + {outputTokens} output " +
                       $"tokens needs {step} tokens in one step of a {p.Name} instance " +
                       (p.Orca ? "(Orca batching schedules a prompt whole)"
                           : p.Step == StepRule.Prompt ? "(without chunked prefill a prompt is scheduled whole)"
                           : "(without chunked prefill a preempted request is recomputed whole: prompt + output - 1)") +
                       $" but deployment.max_num_batched_tokens allows {p.Budget}; raise it or enable chunked prefill";
        }
        return null;
    }
}
