using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Tests.Domain.Simulation;

public sealed class DisaggregationTradeoffTests
{
    private static readonly ConstantStepTimeModel Time = new(0.0001, 0.01, 0.001);

    private static SimulationResult Run(SimulationSetup setup) =>
        new Simulator(setup).Run(
            Sim.Poisson(3, 3000, new UniformLengthSpec(1000, 3000), new UniformLengthSpec(100, 300), seed: 9));

    [Fact]
    public void Disaggregation_removes_prefill_interference_from_decode_at_the_cost_of_ttft()
    {
        var s = Sim.Vllm(maxSeqs: 128, budget: 2048);
        var colocated = Run(Sim.Colocated(Time, s, instances: 2));
        var disaggregated = Run(new SimulationSetup(
            new PoolSetup("prefill", 1, 1, 1_000_000, s, Time, 0, 1e5),
            new PoolSetup("decode", 1, 1, 1_000_000, s, Time, 0, 1e5),
            RouterKind.LeastOutstanding, new SloTargets(0, 0, 0), KvTransferBytesPerSecond: 50e9));
        // Colocated decode steps carry prefill chunks (up to 2048 x 0.1 ms); a decode-only pool steps every 11 ms.
        Assert.True(disaggregated.TpotMs.P90 < 0.7 * colocated.TpotMs.P90,
            $"{disaggregated.TpotMs.P90} vs {colocated.TpotMs.P90}");
        Assert.InRange(disaggregated.ItlMs.P50, 10.9, 11.2);
        // Half the accelerators do prefill: prompts queue longer.
        Assert.True(disaggregated.TtftMs.Mean > colocated.TtftMs.Mean,
            $"{disaggregated.TtftMs.Mean} vs {colocated.TtftMs.Mean}");
    }

    [Fact]
    public void Kv_transfer_time_grows_with_prompt_bytes_over_the_link()
    {
        var s = Sim.Vllm();
        SimulationResult At(double bytesPerSecond) => new Simulator(new SimulationSetup(
                new PoolSetup("prefill", 1, 1, 1_000_000, s, Time, 0, 1e6),
                new PoolSetup("decode", 1, 1, 1_000_000, s, Time, 0, 1e6),
                RouterKind.LeastOutstanding, new SloTargets(0, 0, 0), KvTransferBytesPerSecond: bytesPerSecond))
            .Run(new TraceSource([new TraceRequest(0, 2000, 3)]));
        // 2000 tokens x 1 MB per token: 2 GB, 40 ms at 50 GB/s, 400 ms at 5 GB/s, paid between token 1 and token 2.
        var fast = At(50e9);
        var slow = At(5e9);
        Assert.Equal(0.36, (slow.E2eMs.Mean - fast.E2eMs.Mean) / 1e3, 1e-6);
    }
}
