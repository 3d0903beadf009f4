using System.Diagnostics;
using Google.Protobuf;
using InferenceScheduler.Application.Capacity;
using Platform.Contracts.Inference.V1;

namespace Platform.Benchmarks.Inference;

/// <summary>
/// `inference capacity`: PlanCapacity's search over 128 candidate layouts (4 accelerators × TP 1/2/4/8 ×
/// max_num_seqs 64/128/256/512 × max_num_batched_tokens 2048/8192) for llama-3.1-8b serving the Azure conversation
/// trace at 22 requests/s (about 4× its own rate), in one process on every core. Prints the plan's wall time,
/// simulations and simulations per second, and the cheapest options.
/// </summary>
internal static class CapacityBenchmark
{
    private const string Request =
        """
        {"model":{"preset":"llama-3.1-8b"},"workload":{"trace":"azure-conv-2023"},"targetRequestsPerSecond":22,
        "slo":{"ttftMs":1000,"tpotMs":50},"sloAttainment":0.9,
        "candidates":{"accelerators":["h100-sxm","a100-80gb","h20","h800"],"tensorParallel":[1,2,4,8],
        "maxNumSeqs":[64,128,256,512],"maxNumBatchedTokens":["2048","8192"]},"maxAccelerators":64}
        """;

    public static async Task<int> Run(CapacityPlanner planner)
    {
        Console.WriteLine($"# inference: capacity plan over 128 layouts, azure-conv-2023 at 22 req/s, " +
                          $"{Environment.ProcessorCount} core(s)");
        var req = JsonParser.Default.Parse<PlanCapacityRequest>(Request);
        var sw = Stopwatch.StartNew();
        var plan = await planner.PlanAsync(req, CancellationToken.None);
        double wall = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"layouts {plan.CandidateLayouts}, simulations {plan.Simulations}, wall {wall:F1} s " +
                          $"-> {plan.Simulations / wall:F1} simulations/s; options {plan.Options.Count}, " +
                          $"rejected {plan.Rejected.Count}; rate multiplier {plan.RateMultiplier:F3}");
        foreach (var o in plan.BestPerAccelerator)
            Console.WriteLine($"  best on {o.Deployment.Accelerator}: {o.Layout} x{o.Deployment.Replicas} " +
                              $"({o.AcceleratorCount} accelerators) ${o.CostPerHourUsd:F2}/h, " +
                              $"${o.CostPerMillionOutputTokensUsd:F3}/M output tokens, attainment " +
                              $"{o.SloAttainment:P1}, TTFT p99 {o.TtftP99Ms:F0} ms, TPOT p99 {o.TpotP99Ms:F1} ms, " +
                              $"max {o.MaxRequestsPerSecondPerReplica:F2} req/s per replica");
        foreach (var g in plan.Rejected.GroupBy(r => r.Reason))
            Console.WriteLine($"  rejected {g.Key}: {g.Count()}");
        return plan.Options.Count > 0 ? 0 : 1;
    }
}
