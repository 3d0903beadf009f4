using System.Diagnostics;
using Platform.Modeling;
using TrainingCost.Domain;

namespace Platform.Benchmarks;

/// <summary>Training-cost benchmarks and validation (owned by the training-cost area).</summary>
public static class TrainingBenchmarks
{
    /// <summary>
    /// PlanParallelism throughput: candidate plans evaluated per second (memory model + step model + run figures),
    /// with the op table already timed (as it is after the one batched EstimateOps call of a search), and the
    /// wall time of a whole search including enumeration and timing through the emulator's TimingModel.
    /// </summary>
    public static int All(string[] args)
    {
        var emu = Emulators.InProcess();
        var estimator = new TrainingEstimator(emu);
        (string Name, TrainingRunSpec Spec)[] cases =
        [
            ("deepseek-v3 / 2048 x h800 / fp8", new TrainingRunSpec
            {
                Model = ModelPresets.Get("deepseek-v3").Architecture, TrainingTokens = 14.8e12, SequenceLength = 4096,
                Accelerator = "h800", AcceleratorCount = 2048, Precision = TrainingPrecision.Fp8,
            }),
            ("llama-3.1-405b / 16384 x h100-sxm", new TrainingRunSpec
            {
                Model = ModelPresets.Get("llama-3.1-405b").Architecture, TrainingTokens = 15.6e12,
                SequenceLength = 8192, Accelerator = "h100-sxm", AcceleratorCount = 16384,
            }),
            ("llama-3.1-70b / 1024 x a100-80gb", new TrainingRunSpec
            {
                Model = ModelPresets.Get("llama-3.1-70b").Architecture, TrainingTokens = 15e12, SequenceLength = 8192,
                Accelerator = "a100-80gb", AcceleratorCount = 1024,
            }),
        ];
        foreach (var (name, spec) in cases)
        {
            var device = AcceleratorSpec.From(
                emu.GetDeviceAsync(spec.Accelerator, "cluster.accelerator", default).Result);
            var ctx = estimator.Context(spec, device);
            var plans = PlanSpace.Enumerate(spec.Model, spec.AcceleratorCount, device.ScaleUpDomain, []);
            var times = estimator.TimeAsync(ctx, plans, default).Result;
            // Warm-up, then the best of three passes over every candidate.
            foreach (var p in plans.Take(200)) estimator.Evaluate(ctx, p, times);
            double best = double.MaxValue;
            int fits = 0;
            for (int rep = 0; rep < 3; rep++)
            {
                var sw = Stopwatch.StartNew();
                fits = 0;
                foreach (var p in plans)
                {
                    var mem = MemoryModel.Estimate(ctx.Model, ctx.Parameters, p, spec.SequenceLength, device,
                        ActivationOptions.Of(spec, p));
                    var e = estimator.Evaluate(ctx, p, times);
                    if (mem.Fits && e.AcceleratorHours > 0) fits++;
                }
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            var search = Stopwatch.StartNew();
            var result = estimator.SearchAsync(spec, 3, default).Result;
            double searchSeconds = search.Elapsed.TotalSeconds;
            var top = result.Best[0];
            Console.WriteLine(
                FormattableString.Invariant(
                    $"{{\"bench\":\"plan-parallelism\",\"case\":\"{name}\",\"candidates\":{plans.Count},")
                + FormattableString.Invariant(
                    $"\"fit\":{fits},\"distinct_ops\":{times.Count},\"plans_per_second\":{plans.Count / best:F0},")
                + FormattableString.Invariant(
                    $"\"search_seconds\":{searchSeconds:F2},\"best_plan\":\"{top.Plan}\",")
                + FormattableString.Invariant(
                    $"\"best_days\":{top.WallClockDays:F1},\"best_mfu\":{top.Mfu:F3}}}"));
        }
        return 0;
    }

    public static int Validate(string[] args) => TrainingValidationReport.Run(args).GetAwaiter().GetResult();
}
