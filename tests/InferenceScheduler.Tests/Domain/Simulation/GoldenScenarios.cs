using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Tests.Domain.Simulation;

/// <summary>
/// Representative domain-level runs whose every metric is pinned by <c>golden-metrics.json</c>: colocated with and
/// without chunked prefill, prefix caching, priority scheduling, preemption under a small KV cache, every router kind
/// on several instances, Orca batching, lockstep (expert-parallel) groups and P/D disaggregated pools. Step times are
/// fixed models: the constant model the other tests use and a linear one that also charges attention pairs and decode
/// context, so the batch shape each step reports is pinned too.
/// </summary>
internal static class GoldenScenarios
{
    private static readonly ConstantStepTimeModel Constant = new(0.00005, 0.01, 0.001);

    /// <summary>
    /// Charges every field of the step shape, so any change in what a step contains changes the numbers.
    /// </summary>
    private sealed class LinearShapeTimeModel : IStepTimeModel
    {
        public double StepSeconds(in StepShape s) =>
            0.0015 + 4e-5 * s.PrefillTokens + 3e-4 * s.PrefillSequences + 2e-9 * s.PrefillAttentionPairs
            + (s.DecodeSequences > 0 ? 0.006 + 5e-5 * s.DecodeSequences + 1e-8 * s.DecodeContextTokens : 0);

        public string Describe() => "linear in every step-shape field";
    }

    private static readonly LinearShapeTimeModel Linear = new();

    private static readonly SloTargets Slo = new(0.5, 0.03, 8);

    public sealed record Scenario(string Name, Func<SimulationSetup> Setup, Func<WorkloadSource> Workload);

    private static SimulationSetup Colocated(IStepTimeModel time, SchedulerSettings s, long kvTokens = 1_000_000,
        int instances = 1, RouterKind router = RouterKind.LeastOutstanding, int priorityClasses = 1,
        int lockstep = 1) =>
        new(new PoolSetup("colocated", instances, 2, kvTokens, s, time, 3e9, 1e5, lockstep), null, router, Slo,
            PriorityClasses: priorityClasses, PricePerAcceleratorHour: 2.5, WindowStartSeconds: 20,
            WindowEndSeconds: 120);

    private static SimulationSetup Disaggregated(IStepTimeModel time, SchedulerSettings prefill,
        SchedulerSettings decode, long decodeKv, RouterKind router, double bytesPerSecond, double latency) =>
        new(new PoolSetup("prefill", 2, 2, 400_000, prefill, time, 3e9, 2e5),
            new PoolSetup("decode", 3, 1, decodeKv, decode, time, 6e9, 4e5), router, Slo, bytesPerSecond, latency,
            PricePerAcceleratorHour: 1.75, WindowStartSeconds: 10, WindowEndSeconds: 90);

    private static SyntheticSource Synthetic(double rate, long n, LengthSpec prompt, LengthSpec output, ulong seed,
        ArrivalProcess arrival = ArrivalProcess.Poisson, double burstiness = 1, int groups = 0, double shared = 0) =>
        new(new SyntheticSpec(arrival, rate, n, 0, seed, prompt, output, burstiness, groups, shared));

    private static Func<WorkloadSource> Mooncake(int rows)
    {
        var trace = BuiltInTraces.Load("mooncake-conversation").Take(rows).ToArray();
        return () => new TraceSource(trace);
    }

    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("colocated-chunked", () => Colocated(Constant, Sim.Vllm(maxSeqs: 64, budget: 2048)),
            () => Synthetic(10, 1500, new LognormalLengthSpec(800, 0.7, 8000), new LognormalLengthSpec(120, 0.8, 1000),
                3)),
        new("colocated-chunked-threshold-linear",
            () => Colocated(Linear, Sim.Vllm(maxSeqs: 48, budget: 4096, threshold: 512), instances: 2),
            () => Synthetic(14, 1500, new LognormalLengthSpec(1500, 0.9, 12000),
                new LognormalLengthSpec(150, 0.8, 1200), 7)),
        new("colocated-unchunked", () => Colocated(Constant, Sim.Vllm(maxSeqs: 64, budget: 8192, chunked: false)),
            () => Synthetic(6, 1200, new UniformLengthSpec(100, 3000), new UniformLengthSpec(10, 400), 5)),
        new("colocated-unchunked-preemption-linear",
            () => Colocated(Linear, Sim.Vllm(maxSeqs: 64, budget: 4096, chunked: false), kvTokens: 6000),
            () => Synthetic(8, 1000, new UniformLengthSpec(50, 1500), new UniformLengthSpec(1, 400), 8)),
        new("prefix-cache-synthetic-groups",
            () => Colocated(Linear, Sim.Vllm(maxSeqs: 64, budget: 4096), kvTokens: 60_000),
            () => Synthetic(6, 1500, new UniformLengthSpec(1500, 5000), new UniformLengthSpec(20, 200), 11, groups: 12,
                shared: 0.6)),
        new("prefix-cache-disabled",
            () => Colocated(Constant, Sim.Vllm(maxSeqs: 64, budget: 4096, prefix: false), kvTokens: 60_000),
            () => Synthetic(6, 1000, new UniformLengthSpec(1500, 5000), new UniformLengthSpec(20, 200), 11, groups: 12,
                shared: 0.6)),
        new("priority-preemption",
            () => Colocated(Constant, Sim.Vllm(maxSeqs: 16, budget: 2048, policy: SchedulingPolicyKind.Priority),
                kvTokens: 5000, priorityClasses: 3),
            () => Synthetic(12, 1500, new UniformLengthSpec(100, 900), new UniformLengthSpec(20, 300), 12)),
        new("fcfs-preemption-small-kv",
            () => Colocated(Constant, Sim.Vllm(maxSeqs: 64, budget: 1024), kvTokens: 4000, instances: 3),
            () => Synthetic(30, 3000, new UniformLengthSpec(50, 1500), new UniformLengthSpec(1, 400), 1)),
        new("router-round-robin",
            () => Colocated(Linear, Sim.Vllm(maxSeqs: 32, budget: 2048), kvTokens: 80_000, instances: 3,
                router: RouterKind.RoundRobin),
            () => Synthetic(9, 1500, new LognormalLengthSpec(900, 0.8, 8000), new LognormalLengthSpec(100, 0.9, 800),
                21, ArrivalProcess.Gamma, 0.3)),
        new("router-least-outstanding",
            () => Colocated(Linear, Sim.Vllm(maxSeqs: 32, budget: 2048), kvTokens: 80_000, instances: 3,
                router: RouterKind.LeastOutstanding),
            () => Synthetic(9, 1500, new LognormalLengthSpec(900, 0.8, 8000), new LognormalLengthSpec(100, 0.9, 800),
                21, ArrivalProcess.Gamma, 0.3)),
        new("router-kv-cache-aware-mooncake",
            () => Colocated(Constant, Sim.Vllm(maxSeqs: 64, budget: 8192), kvTokens: 300_000, instances: 4,
                router: RouterKind.KvCacheAware),
            Mooncake(800)),
        new("router-least-outstanding-mooncake",
            () => Colocated(Constant, Sim.Vllm(maxSeqs: 64, budget: 8192), kvTokens: 300_000, instances: 4),
            Mooncake(800)),
        new("orca-batching",
            () => Colocated(Constant, Sim.Vllm(maxSeqs: 256, budget: 4096, batching: BatchingPolicyKind.Orca),
                kvTokens: 40_000),
            () => Synthetic(4, 1200, new UniformLengthSpec(200, 1000), new UniformLengthSpec(100, 1000), 4)),
        new("lockstep-groups",
            () => Colocated(Linear, Sim.Vllm(maxSeqs: 32, budget: 2048), kvTokens: 50_000, instances: 5, lockstep: 2),
            () => Synthetic(15, 1500, new UniformLengthSpec(100, 2000), new UniformLengthSpec(10, 300), 13)),
        new("disaggregated-round-robin",
            () => Disaggregated(Constant, Sim.Vllm(maxSeqs: 64, budget: 4096), Sim.Vllm(maxSeqs: 64, budget: 4096),
                200_000, RouterKind.RoundRobin, 50e9, 0),
            () => Synthetic(10, 1500, new UniformLengthSpec(100, 3000), new UniformLengthSpec(1, 300), 2)),
        new("disaggregated-linear-slow-link-small-decode-kv",
            () => Disaggregated(Linear, Sim.Vllm(maxSeqs: 32, budget: 2048, threshold: 1024),
                Sim.Vllm(maxSeqs: 128, budget: 2048), 9000, RouterKind.LeastOutstanding, 4e9, 2e-5),
            () => Synthetic(8, 1500, new UniformLengthSpec(200, 3000), new UniformLengthSpec(1, 500), 17, groups: 6,
                shared: 0.4)),
        new("disaggregated-kv-cache-aware-mooncake",
            () => Disaggregated(Constant, Sim.Vllm(maxSeqs: 64, budget: 8192), Sim.Vllm(maxSeqs: 256, budget: 8192),
                400_000, RouterKind.KvCacheAware, 25e9, 5e-6),
            Mooncake(600)),
    ];
}
