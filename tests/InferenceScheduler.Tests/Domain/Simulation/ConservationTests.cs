using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Tests.Domain.Simulation;

public sealed class ConservationTests
{
    private static (SimulationResult Result, List<RequestOutcome> Outcomes, List<TraceRequest> Offered) Run(
        SimulationSetup setup, WorkloadSource source)
    {
        var offered = new List<TraceRequest>();
        var recording = new Recording(source, offered);
        var outcomes = new List<RequestOutcome>();
        var result = new Simulator(setup).Run(recording, outcomes.Add);
        return (result, outcomes, offered);
    }

    private sealed class Recording(WorkloadSource inner, List<TraceRequest> seen) : WorkloadSource
    {
        public override long ExpectedRequests => inner.ExpectedRequests;
        public override double ExpectedSpanSeconds => inner.ExpectedSpanSeconds;
        public override long MaxRequestTokens => inner.MaxRequestTokens;
        public override bool TryNext(out TraceRequest r)
        {
            if (!inner.TryNext(out r)) return false;
            seen.Add(r);
            return true;
        }
    }

    [Fact]
    public void Every_request_finishes_exactly_once_with_its_tokens_even_under_preemption()
    {
        // A small KV cache (4,000 tokens per instance) forces preemptions and recomputation.
        var time = new ConstantStepTimeModel(0.00005, 0.01, 0.001);
        var setup = Sim.Colocated(time, Sim.Vllm(maxSeqs: 64, budget: 1024), kvTokens: 4000, instances: 3);
        var (r, outcomes, offered) =
            Run(setup, Sim.Poisson(30, 3000, new UniformLengthSpec(50, 1500), new UniformLengthSpec(1, 400)));
        Assert.True(r.Preemptions > 0, "the scenario should preempt");
        Assert.Equal(offered.Count, outcomes.Count);
        Assert.Equal(offered.Count, outcomes.Select(o => o.Index).Distinct().Count());
        var byIndex = outcomes.ToDictionary(o => o.Index);
        for (int i = 0; i < offered.Count; i++)
        {
            Assert.Equal(offered[i].InputTokens, byIndex[i].InputTokens);
            Assert.Equal(offered[i].OutputTokens, byIndex[i].OutputTokens);
            Assert.True(byIndex[i].E2eSeconds >= byIndex[i].TtftSeconds && byIndex[i].TtftSeconds > 0);
        }
        Assert.Equal(offered.Sum(o => (long)o.OutputTokens), r.OutputTokens);
        Assert.Equal(offered.Sum(o => (long)o.InputTokens), r.InputTokens);
    }

    [Fact]
    public void Littles_law_holds_on_the_simulated_system()
    {
        var time = new ConstantStepTimeModel(0.0001, 0.015, 0.001);
        var setup = Sim.Colocated(time, Sim.Vllm(maxSeqs: 32, budget: 2048), kvTokens: 50_000, instances: 2);
        var (r, _, _) = Run(setup,
            Sim.Poisson(12, 5000, new LognormalLengthSpec(800, 0.7, 8000), new LognormalLengthSpec(120, 0.8, 1000)));
        double lambda = r.CompletedRequests / r.SimulatedSeconds, w = r.E2eMs.Mean / 1e3;
        Assert.Equal(lambda * w, r.MeanRequestsInSystem, 0.01 * r.MeanRequestsInSystem);
    }

    [Fact]
    public void Disaggregated_run_hands_every_request_to_decode_once()
    {
        var time = new ConstantStepTimeModel(0.0001, 0.01, 0);
        var s = Sim.Vllm(maxSeqs: 64, budget: 4096);
        var setup = new SimulationSetup(new PoolSetup("prefill", 2, 1, 200_000, s, time, 0, 1e5),
            new PoolSetup("decode", 2, 1, 200_000, s, time, 0, 1e5), RouterKind.RoundRobin, new SloTargets(0, 0, 0),
            KvTransferBytesPerSecond: 50e9);
        var (r, outcomes, offered) =
            Run(setup, Sim.Poisson(10, 2000, new UniformLengthSpec(100, 3000), new UniformLengthSpec(1, 300)));
        Assert.Equal(offered.Count, outcomes.Select(o => o.Index).Distinct().Count());
        Assert.Equal(offered.Sum(o => (long)o.OutputTokens), r.OutputTokens);
        Assert.Equal(r.InputTokens / r.SimulatedSeconds / (2 / 8.0), r.Pools[0].InputTokensPerSecondPerNode, 6);
        // Decode pool samples every token but the first.
        Assert.Equal((r.OutputTokens - r.CompletedRequests) / r.SimulatedSeconds / (2 / 8.0),
            r.Pools[1].OutputTokensPerSecondPerNode, 6);
    }
}
