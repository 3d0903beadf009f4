using Platform.Modeling;
using Platform.Modeling.Flops;
using TrainingCost.Domain;

namespace Platform.Benchmarks;

/// <summary>A measured training step: what ran and what was measured.</summary>
/// <param name="Measured">Seconds per iteration, or TFLOP/s per GPU (<see cref="Tflops"/>).</param>
/// <param name="Tflops">Measured is PTD-P's TFLOP/s per GPU (hardware FLOPs, 96·B·s·l·h²·(1 + s/6h + V/16lh) per
/// iteration), compared through the modelled iteration time.</param>
public sealed record StepReference(string Name, string Source, int Heads, int Hidden, int Layers, int Tp, int Pp,
    int Gpus, int GlobalBatch, RecomputeKind Recompute, double Measured, bool Tflops);

/// <summary>One reference with its modelled figure and where the modelled step's time goes.</summary>
public sealed record StepComparison(StepReference Reference, double Modelled, StepBreakdown Step)
{
    /// <summary>Modelled over measured − 1, oriented so that + means the model is faster.</summary>
    public double Error => Reference.Tflops ? Modelled / Reference.Measured - 1 : Reference.Measured / Modelled - 1;
}

/// <summary>
/// Measured step times of GPT models on A100-80GB (Selene, Megatron-LM; s = 2048, V = 51,200, dropout, no fused
/// attention): Korthikanti et al. 2022 Table 5 (iteration time with full recompute and with sequence parallelism +
/// selective recompute, the models of its Table 3) and Narayanan et al. 2021 (PTD-P) Table 1 (weak scaling, full
/// recompute, TFLOP/s per GPU). Micro-batch 1 and the 1F1B schedule are assumed (neither table states them).
/// </summary>
public static class StepReferences
{
    private const string Korthikanti = "Korthikanti et al. 2022, Table 5";
    private const string Ptdp = "Narayanan et al. 2021 (PTD-P), Table 1";

    public static readonly StepReference[] All =
    [
        new("22B full recompute", Korthikanti, 64, 6144, 48, 8, 1, 8, 4, RecomputeKind.Full, 1.42, false),
        new("22B SP + selective", Korthikanti, 64, 6144, 48, 8, 1, 8, 4, RecomputeKind.Selective, 1.10, false),
        new("175B full recompute", Korthikanti, 96, 12288, 96, 8, 8, 64, 64, RecomputeKind.Full, 18.13, false),
        new("175B SP + selective", Korthikanti, 96, 12288, 96, 8, 8, 64, 64, RecomputeKind.Selective, 13.75, false),
        new("530B full recompute", Korthikanti, 128, 20480, 105, 8, 35, 280, 280, RecomputeKind.Full, 49.05, false),
        new("530B SP + selective", Korthikanti, 128, 20480, 105, 8, 35, 280, 280, RecomputeKind.Selective, 37.83,
            false),
        new("1T full recompute", Korthikanti, 160, 25600, 128, 8, 64, 512, 512, RecomputeKind.Full, 94.42, false),
        new("1T SP + selective", Korthikanti, 160, 25600, 128, 8, 64, 512, 512, RecomputeKind.Selective, 71.49,
            false),
        new("1.7B", Ptdp, 24, 2304, 24, 1, 1, 32, 512, RecomputeKind.Full, 137, true),
        new("3.6B", Ptdp, 32, 3072, 30, 2, 1, 64, 512, RecomputeKind.Full, 138, true),
        new("7.5B", Ptdp, 32, 4096, 36, 4, 1, 128, 512, RecomputeKind.Full, 142, true),
        new("18.4B", Ptdp, 48, 6144, 40, 8, 1, 256, 1024, RecomputeKind.Full, 135, true),
        new("39.1B", Ptdp, 64, 8192, 48, 8, 2, 512, 1536, RecomputeKind.Full, 138, true),
        new("76.1B", Ptdp, 80, 10240, 60, 8, 4, 1024, 1792, RecomputeKind.Full, 140, true),
        new("145.6B", Ptdp, 96, 12288, 80, 8, 8, 1536, 2304, RecomputeKind.Full, 148, true),
        new("310.1B", Ptdp, 128, 16384, 96, 8, 16, 1920, 2160, RecomputeKind.Full, 155, true),
        new("529.6B", Ptdp, 128, 20480, 105, 8, 35, 2520, 2520, RecomputeKind.Full, 163, true),
        new("1008.0B", Ptdp, 160, 25600, 128, 8, 64, 3072, 3072, RecomputeKind.Full, 163, true),
    ];

    private const long Seq = 2048;
    private const long Vocab = 51200;

    public static async Task<List<StepComparison>> EvaluateAll(Platform.Modeling.Devices.IEmulator emulator,
        Calibration cal, CancellationToken ct = default)
    {
        var estimator = new TrainingEstimator(emulator, cal);
        var result = new List<StepComparison>();
        foreach (var r in All)
        {
            var model = new ModelArchitecture
            {
                Name = $"gpt-{r.Name}", ModelType = "gpt2", HiddenSize = r.Hidden, NumLayers = r.Layers,
                NumAttentionHeads = r.Heads, IntermediateSize = 4L * r.Hidden, VocabSize = Vocab, GatedMlp = false,
                MaxPositionEmbeddings = Seq,
            };
            var spec = new TrainingRunSpec
            {
                Model = model, TrainingTokens = 1e12, SequenceLength = Seq, Accelerator = "a100-80gb",
                AcceleratorCount = r.Gpus, GlobalBatchTokens = (double)r.GlobalBatch * Seq,
                MaterializedAttention = true, Dropout = true,
                Plan = new ParallelPlan
                {
                    TensorParallel = r.Tp, PipelineParallel = r.Pp, ZeroStage = 1, Recompute = r.Recompute,
                },
            };
            var e = await estimator.EstimateAsync(spec, ct);
            double seconds = e.Step.StepSeconds;
            double modelled = seconds;
            if (r.Tflops)
            {
                double h = r.Hidden, l = r.Layers;
                double flops = 96.0 * r.GlobalBatch * Seq * l * h * h * (1 + Seq / (6 * h) + Vocab / (16 * l * h));
                modelled = flops / seconds / r.Gpus / 1e12;
            }
            result.Add(new StepComparison(r, modelled, e.Step));
        }
        return result;
    }
}
