using InferenceScheduler.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Application;
using InferenceScheduler.Application.Capacity;
using Platform.Benchmarks.Inference;
using Platform.Contracts.Inference.V1;

namespace Platform.Benchmarks;

/// <summary>
/// Inference-scheduler benchmarks (owned by the inference area). `inference` runs the speed figures and the DeepSeek
/// production sanity check (two-batch overlap and MTP; `inference deepseek ideal`: ideal overlap without MTP,
/// `mtp=P`: another acceptance rate, `no-mtp`: without MTP), the SGLang large-scale EP check,
/// the Azure A100 emulator-vs-measured-profile comparison and the capacity plan; `inference speed`,
/// `inference deepseek`, `inference sglang`, `inference azure-a100` or `inference capacity` runs one part.
/// `inference deepseek-plan [h800|h800+h20|h20|ascend-910b ...]` plans DeepSeek's day-6 load (not in `all`).
/// </summary>
public static class InferenceBenchmarks
{
    private const string AzureConv70B =
        """
        {"model":{"preset":"llama-3.1-70b"},"deployment":{"accelerator":"h800","replicas":1,"tensorParallel":8},
        "workload":{"trace":"azure-conv-2023"},"slo":{"ttftMs":2000,"tpotMs":100}}
        """;

    private const string Synthetic1M =
        """
        {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h100-sxm","replicas":16,"tensorParallel":1},
        "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":160,"requests":1000000,"seed":1,
        "promptTokens":{"lognormal":{"mean":600,"sigma":0.8},"max":8192},
        "outputTokens":{"lognormal":{"mean":150,"sigma":0.8},"max":2048}}},"slo":{"ttftMs":1000,"tpotMs":100}}
        """;

    public static int All(string[] args)
    {
        string part = args.Length > 0 ? args[0].ToLowerInvariant() : "all";
        return RunAsync(part, args.Skip(1).ToList()).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string part, IReadOnlyList<string> rest)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        // The emulator role behind gRPC on loopback, as a separately deployed inference role reaches it.
        await using var emulator = await Emulators.StartAsync(["--emulator", "grpc"]);
        var profiles = new EmulatorProfiles(emulator.Client, NullLogger<EmulatorProfiles>.Instance);
        var planner = new SimulationPlanner(profiles);
        int rc = 0;
        if (part is "all" or "speed") rc |= await Speed(planner);
        if (part is "all" or "deepseek")
            rc |= await DeepSeekValidation.Run(planner, !rest.Contains("ideal"), DeepSeekValidation.Mtp(rest));
        if (part is "all" or "sglang") rc |= await SglangValidation.Run(planner);
        if (part is "all" or "azure-a100") rc |= await AzureA100Comparison.Run(planner);
        if (part is "all" or "capacity") rc |= await CapacityBenchmark.Run(new CapacityPlanner(planner, profiles));
        // Minutes on a 2-core machine: run on its own, not as part of `inference`.
        if (part is "deepseek-plan")
            rc |= await DeepSeekPlan.Run(new CapacityPlanner(planner, profiles), planner, rest);
        return rc;
    }

    internal static SimulateWorkloadRequest Parse(string json) =>
        JsonParser.Default.Parse<SimulateWorkloadRequest>(json);

    private static async Task<int> Speed(SimulationPlanner planner)
    {
        Console.WriteLine("# inference: simulator speed " +
                          "(wall time of Simulator.Run; the step-time profile is fetched once and cached)");
        // Warm-up: fetches and caches the profile, JITs the simulator.
        var sw = Stopwatch.StartNew();
        var warm = await planner.PlanAsync(Parse(AzureConv70B), null, default);
        Console.WriteLine($"profile fetch + plan (first call, gRPC EstimateOps): {sw.Elapsed.TotalMilliseconds:F0} ms");
        new Simulator(warm.Setup).Run(warm.Workload);

        double best = double.MaxValue;
        SimulationResult? res = null;
        for (int i = 0; i < 3; i++)
        {
            var plan = await planner.PlanAsync(Parse(AzureConv70B), null, default);
            sw.Restart();
            res = new Simulator(plan.Setup).Run(plan.Workload);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"azure-conv-2023 on llama-3.1-70b TP8 h800: {res!.CompletedRequests} requests, " +
                          $"{res.SimulatedSeconds:F0} s simulated, " +
                          $"{res.Steps} steps, wall {best:F3} s (best of 3; target < 2 s) " +
                          $"-> {res.CompletedRequests / best:N0} req/s");
        Console.WriteLine($"  TTFT mean/p50/p99 {res.TtftMs.Mean:F0}/{res.TtftMs.P50:F0}/{res.TtftMs.P99:F0} ms, " +
                          $"TPOT mean/p99 {res.TpotMs.Mean:F1}/{res.TpotMs.P99:F1} ms, " +
                          $"SLO attainment {res.SloAttainment:P1}, " +
                          $"accelerator busy {res.MeanAcceleratorUtilization:P0}");

        var p1 = await planner.PlanAsync(Parse(Synthetic1M), null, default);
        GC.Collect();
        long before = GC.GetTotalAllocatedBytes(true);
        sw.Restart();
        var big = new Simulator(p1.Setup).Run(p1.Workload);
        double wall = sw.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(true) - before;
        Console.WriteLine("synthetic 1,000,000 requests, llama-3.1-8b on 16 x h100-sxm, Poisson 160 req/s: " +
                          $"{big.SimulatedSeconds:F0} s simulated, " +
                          $"{big.Steps:N0} steps, {big.OutputTokens:N0} output tokens, wall {wall:F2} s " +
                          $"-> {big.CompletedRequests / wall:N0} simulated req/s (target >= 20,000)");
        Console.WriteLine($"  allocated during the run {allocated / 1e6:F0} MB, " +
                          $"heap after {GC.GetTotalMemory(false) / 1e6:F0} MB, " +
                          $"peak working set {Environment.WorkingSet / 1e6:F0} MB; " +
                          $"TTFT p50 {big.TtftMs.P50:F0} ms, TPOT p50 {big.TpotMs.P50:F1} ms");
        return best < 2 && big.CompletedRequests / wall >= 20000 ? 0 : 1;
    }
}
