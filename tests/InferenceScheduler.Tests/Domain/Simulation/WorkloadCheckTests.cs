using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Tests.Domain.Simulation;

/// <summary>
/// Every request is validated before the first is simulated, so a run that would fail part-way fails before any
/// outcome.
/// </summary>
public sealed class WorkloadCheckTests
{
    private static readonly ConstantStepTimeModel Time = new(0.00001, 0.005, 0);

    /// <summary>Heavy-tailed prompts with no max: most are short, a few are far longer than the KV cache.</summary>
    private static SyntheticSource HeavyTailed(ulong seed = 5) =>
        new(new SyntheticSpec(ArrivalProcess.Poisson, 1, 3000, 0, seed, new LognormalLengthSpec(1000, 2.0),
            new FixedLength(10)));

    private static long FirstIndex(WorkloadSource source, Func<TraceRequest, bool> bad)
    {
        var scan = source.Replay()!;
        for (long i = 0; scan.TryNext(out var r); i++) if (bad(r)) return i;
        return -1;
    }

    [Fact]
    public void Generated_request_longer_than_the_kv_cache_fails_before_the_sink_sees_any_outcome()
    {
        const long kv = 30_000;
        var source = HeavyTailed();
        long bad = FirstIndex(source, r => r.InputTokens + r.OutputTokens > kv);
        Assert.True(bad > 50, $"first oversized request at {bad}");
        var outcomes = new List<RequestOutcome>();
        var e = Assert.Throws<PreconditionFailedException>(() =>
            new Simulator(Sim.Colocated(Time, Sim.Vllm(), kvTokens: kv)).Run(source, outcomes.Add));
        Assert.Empty(outcomes);
        Assert.Equal("workload.synthetic", e.Field);
        Assert.StartsWith($"request {bad}: ", e.Reason);
        Assert.Contains($"holds {kv}", e.Reason);
    }

    [Fact]
    public void Disaggregated_decode_pool_too_small_for_a_generated_request_fails_before_any_outcome()
    {
        // Previously only colocated runs were checked on arrival: here the request stalled and the run failed only at
        // its end.
        var s = Sim.Vllm(maxSeqs: 64, budget: 4096);
        var setup = new SimulationSetup(new PoolSetup("prefill", 1, 1, 1_000_000, s, Time, 0, 1e5),
            new PoolSetup("decode", 1, 1, 20_000, s, Time, 0, 1e5), RouterKind.RoundRobin, new SloTargets(0, 0, 0));
        var source = HeavyTailed(seed: 9);
        long bad = FirstIndex(source, r => r.InputTokens + r.OutputTokens > 20_000);
        Assert.True(bad > 50, $"first oversized request at {bad}");
        var outcomes = new List<RequestOutcome>();
        var e = Assert.Throws<PreconditionFailedException>(() => new Simulator(setup).Run(source, outcomes.Add));
        Assert.Empty(outcomes);
        Assert.StartsWith($"request {bad}: ", e.Reason);
        Assert.Contains("decode instance", e.Reason);
    }

    [Fact]
    public void Without_chunked_prefill_a_request_longer_than_the_step_budget_fails_before_any_outcome()
    {
        var rows = new[]
        {
            new TraceRequest(0, 500, 10, null, 2), new TraceRequest(1, 900, 10, null, 3),
            new TraceRequest(2, 1020, 10, null, 4),
        };
        var outcomes = new List<RequestOutcome>();
        var e = Assert.Throws<PreconditionFailedException>(() =>
            new Simulator(Sim.Colocated(Time, Sim.Vllm(budget: 1024, chunked: false)))
                .Run(new TraceSource(rows, rowsField: "workload.trace_csv"), outcomes.Add));
        Assert.Empty(outcomes);
        Assert.Equal("workload.trace_csv", e.Field);
        Assert.StartsWith("line 4: ", e.Reason);
        Assert.Contains("needs 1029 tokens in one step", e.Reason);
        Assert.Contains("max_num_batched_tokens allows 1024", e.Reason);
        // With chunked prefill the same rows run: the prompt is split across steps.
        var ok = new Simulator(Sim.Colocated(Time, Sim.Vllm(budget: 1024))).Run(new TraceSource(rows));
        Assert.Equal(3, ok.CompletedRequests);
    }

    [Fact]
    public void Orca_batching_needs_each_prompt_within_one_step_budget()
    {
        var rows = new[] { new TraceRequest(0, 500, 10), new TraceRequest(1, 2000, 10) };
        var e = Assert.Throws<PreconditionFailedException>(() =>
            new Simulator(Sim.Colocated(Time, Sim.Vllm(budget: 1024, batching: BatchingPolicyKind.Orca)))
                .Run(new TraceSource(rows)));
        Assert.StartsWith("row 2: ", e.Reason);
        Assert.Contains("Orca", e.Reason);
    }

    [Fact]
    public void Request_count_beyond_the_per_run_limit_is_a_limit_not_a_long_run()
    {
        var e = Assert.Throws<LimitExceededException>(() => new SyntheticSource(new SyntheticSpec(
            ArrivalProcess.Poisson, 1, WorkloadSource.MaxRequestsPerRun + 1, 0, 1, new FixedLength(10),
            new FixedLength(10))));
        Assert.Equal("workload.synthetic.requests", e.Field);
        Assert.Equal(WorkloadSource.MaxRequestsPerRun, e.Available);
        var d = Assert.Throws<LimitExceededException>(() => new SyntheticSource(new SyntheticSpec(
            ArrivalProcess.Poisson, 1000, 0, 1e9, 1, new FixedLength(10), new FixedLength(10))));
        Assert.Equal("workload.synthetic.duration_seconds", d.Field);
    }
}
