using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Tests.Domain.Simulation;

/// <summary>Builders for domain-level simulations.</summary>
internal static class Sim
{
    public static SchedulerSettings Vllm(int maxSeqs = 256, int budget = 8192, int threshold = 0, bool chunked = true,
        bool prefix = true, SchedulingPolicyKind policy = SchedulingPolicyKind.Fcfs,
        BatchingPolicyKind batching = BatchingPolicyKind.VllmV1) =>
        new(maxSeqs, budget, threshold, 16, chunked, prefix, policy, batching);

    public static SimulationSetup Colocated(IStepTimeModel time, SchedulerSettings s, long kvTokens = 1_000_000,
        int instances = 1, RouterKind router = RouterKind.LeastOutstanding, SloTargets? slo = null,
        int priorityClasses = 1) =>
        new(new PoolSetup("colocated", instances, 1, kvTokens, s, time, 0, 1e5), null, router,
            slo ?? new SloTargets(0, 0, 0), PriorityClasses: priorityClasses);

    public static SyntheticSource Poisson(double rate, long n, LengthSpec prompt, LengthSpec output, ulong seed = 1) =>
        new(new SyntheticSpec(ArrivalProcess.Poisson, rate, n, 0, seed, prompt, output));
}
