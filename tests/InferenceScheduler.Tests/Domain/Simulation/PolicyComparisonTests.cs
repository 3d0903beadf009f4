using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Tests.Domain.Simulation;

public sealed class PolicyComparisonTests
{
    private static readonly ConstantStepTimeModel Time = new(0.00002, 0.01, 0.001);

    [Fact]
    public void Kv_cache_aware_routing_finds_more_prefix_hits_than_least_outstanding_on_the_mooncake_trace()
    {
        var rows = BuiltInTraces.Load("mooncake-conversation").Take(1500).ToArray();
        SimulationResult With(RouterKind router) =>
            new Simulator(Sim.Colocated(Time, Sim.Vllm(maxSeqs: 64, budget: 8192), kvTokens: 600_000, instances: 4,
                    router: router))
                .Run(new TraceSource(rows));
        var aware = With(RouterKind.KvCacheAware);
        var blind = With(RouterKind.LeastOutstanding);
        Assert.True(aware.PrefixHitRate > 1.5 * blind.PrefixHitRate,
            $"{aware.PrefixHitRate:P1} vs {blind.PrefixHitRate:P1}");
        // bounded by the trace's reuse (36.6% of blocks seen before, infinite cache)
        Assert.True(aware.PrefixHitRate < 0.45);
    }

    [Fact]
    public void Burstier_gamma_arrivals_raise_tail_ttft_at_the_same_mean_rate()
    {
        SimulationResult With(ArrivalProcess a, double burstiness) =>
            new Simulator(Sim.Colocated(Time, Sim.Vllm(maxSeqs: 16, budget: 2048)))
                .Run(new SyntheticSource(
                    new SyntheticSpec(a, 3, 4000, 0, 2, new FixedLength(1000), new FixedLength(50), burstiness)));
        var poisson = With(ArrivalProcess.Poisson, 1);
        var bursty = With(ArrivalProcess.Gamma, 0.2);
        Assert.Equal(poisson.RequestThroughput, bursty.RequestThroughput, 0.1 * poisson.RequestThroughput);
        Assert.True(bursty.TtftMs.P99 > 2 * poisson.TtftMs.P99, $"{bursty.TtftMs.P99} vs {poisson.TtftMs.P99}");
    }

    [Fact]
    public void Vllm_paged_allocation_beats_orca_reservation_when_kv_is_scarce()
    {
        // Orca reserves prompt + output up front, so fewer requests share a step; vLLM allocates as tokens appear.
        SimulationResult With(BatchingPolicyKind b) =>
            new Simulator(Sim.Colocated(Time, Sim.Vllm(maxSeqs: 256, budget: 4096, batching: b), kvTokens: 40_000))
                .Run(Sim.Poisson(4, 2000, new UniformLengthSpec(200, 1000), new UniformLengthSpec(100, 1000), seed: 4));
        var vllm = With(BatchingPolicyKind.VllmV1);
        var orca = With(BatchingPolicyKind.Orca);
        Assert.Equal(0, orca.Preemptions);
        Assert.True(vllm.E2eMs.Mean < orca.E2eMs.Mean, $"{vllm.E2eMs.Mean} vs {orca.E2eMs.Mean}");
    }

    [Fact]
    public void Priority_scheduling_serves_the_high_priority_class_faster_under_overload()
    {
        var outcomes = new List<RequestOutcome>();
        var setup = Sim.Colocated(Time, Sim.Vllm(maxSeqs: 8, budget: 2048, policy: SchedulingPolicyKind.Priority),
            priorityClasses: 2);
        new Simulator(setup).Run(Sim.Poisson(12, 1500, new FixedLength(500), new FixedLength(80)), outcomes.Add);
        double high = outcomes.Where(o => o.Index % 2 == 0).Average(o => o.TtftSeconds);
        double low = outcomes.Where(o => o.Index % 2 == 1).Average(o => o.TtftSeconds);
        Assert.True(high < 0.5 * low, $"{high} vs {low}");
    }
}
