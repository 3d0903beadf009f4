using HardwareEmulator.Domain.Validation;
using InferenceScheduler.Application;
using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;

namespace Platform.Benchmarks.Inference;

/// <summary>
/// The Azure conversation trace (2023) on A100 80GB, simulated twice with the same scheduler, workload and attention:
/// once with the emulator's step-time profile, once "profile-driven", the layer ops taken from Vidur's measured A100
/// medians (services/HardwareEmulator.Domain/Data/vidur-a100/mlp.csv, Meta-Llama-3-8B, TP1) interpolated by batch
/// tokens. The gap in TTFT and TPOT percentiles is what the emulator's op timing costs against a measured profile.
/// </summary>
internal static class AzureA100Comparison
{
    private const string Request =
        """
        {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"a100-80gb","replicas":REPLICAS,
        "tensorParallel":1},"workload":{"trace":"azure-conv-2023"}}
        """;

    public static async Task<int> Run(SimulationPlanner planner)
    {
        Console.WriteLine("# inference: Azure conv trace on A100, emulator-driven vs profile-driven (Vidur A100 " +
                          "medians) step times, llama-3.1-8b TP1");
        var samples = KernelReference.Load(Path.Combine(AppContext.BaseDirectory, "Data", "vidur-a100"))
            .Where(s => s.Source == "Meta-Llama-3-8B" && s.Tp == 1 && s.Tokens > 0).ToList();
        // One layer's measured ops at each batch size (mean of the two profiling runs); the residual add runs twice.
        var perLayer = samples.GroupBy(s => s.Tokens).OrderBy(g => g.Key)
            .Select(g => (Tokens: (double)g.Key, Seconds: g.GroupBy(s => s.Op)
                .Sum(o => o.Average(s => s.MeasuredSeconds) * (o.Key == "add" ? 2 : 1))))
            .ToArray();
        Console.WriteLine($"  [Vidur rows: {samples.Count} op medians at {perLayer.Length} batch sizes " +
                          $"({perLayer[0].Tokens:F0}..{perLayer[^1].Tokens:F0} tokens)]");
        int rc = 0;
        foreach (int replicas in new[] { 2, 3 })
        {
            var plan = await planner.PlanAsync(
                InferenceBenchmarks.Parse(Request.Replace("REPLICAS", replicas.ToString())), null, default);
            if (plan.Setup.Prefill.Time is not ProfiledStepTimeModel emu)
            {
                Console.WriteLine("emulator profile missing"); return 1;
            }
            var measured = new ProfiledStepTimeModel(
                new Table(perLayer.Select(p => p.Tokens).ToArray(), perLayer.Select(p => p.Seconds * 32).ToArray()),
                emu.Communication, emu.Head, emu.DecodeAttention, emu.PrefillAttention, emu.OverheadSeconds,
                emu.OverlapCommunication, "Vidur A100 medians for the layer ops, emulator attention and head");
            if (replicas == 2)
            {
                foreach (double t in new double[] { 1, 16, 128, 512, 2048, 8192 })
                    Console.WriteLine($"  [layer ops x32 at {t,5} tokens: emulator {emu.Linear.At(t) * 1e3,7:F2} ms, " +
                                      $"measured {measured.Linear.At(t) * 1e3,7:F2} ms " +
                                      $"({emu.Linear.At(t) / measured.Linear.At(t) - 1:+0%;-0%})]");
            }
            var a = new Simulator(plan.Setup).Run(plan.Workload);
            // The trace is read once per plan: plan again for the second run, then swap only the step times.
            var again = await planner.PlanAsync(
                InferenceBenchmarks.Parse(Request.Replace("REPLICAS", replicas.ToString())), null, default);
            var b = new Simulator(again.Setup with { Prefill = again.Setup.Prefill with { Time = measured } })
                .Run(again.Workload);
            Console.WriteLine($"{replicas} x A100, {a.CompletedRequests} requests:");
            Row("TTFT p50", a.TtftMs.P50, b.TtftMs.P50);
            Row("TTFT p99", a.TtftMs.P99, b.TtftMs.P99);
            Row("TPOT p50", a.TpotMs.P50, b.TpotMs.P50);
            Row("TPOT p99", a.TpotMs.P99, b.TpotMs.P99);
            double worst = new[]
            {
                a.TtftMs.P50 / b.TtftMs.P50, a.TtftMs.P99 / b.TtftMs.P99, a.TpotMs.P50 / b.TpotMs.P50,
                a.TpotMs.P99 / b.TpotMs.P99,
            }.Max(r => Math.Abs(r - 1));
            Console.WriteLine($"  largest gap {worst:P0} ({(worst <= 0.15 ? "within" : "OUTSIDE")} 15%)");
        }
        return rc; // a report, not a gate: docs/VALIDATION.md records the gaps
    }

    private static void Row(string name, double emulator, double profile) =>
        Console.WriteLine($"  {name}: emulator {emulator,9:F1} ms, profile-driven {profile,9:F1} ms " +
                          $"({emulator / profile - 1:+0%;-0%})");
}
