namespace TrainingCost.Domain;

/// <summary>
/// The few global constants of the time model that are not taken from a source but fitted on the published
/// runs of docs/VALIDATION.md (`make validate` refits nothing: it reports the error these values give, and the
/// leave-one-out error of refitting them). Every other number traces to the emulator's op times or to
/// references.md. See docs/TRAINING.md, "Calibration".
/// </summary>
/// <param name="KernelEfficiency">Achieved fraction of the emulator's modelled op time for BF16/FP16 compute
/// in a full training framework (kernel shapes, launch gaps, framework and data-loader overhead, stragglers).</param>
/// <param name="Fp8GemmSpeedup">End-to-end speed-up of an FP8 weight GEMM over the same GEMM in BF16
/// (fine-grained scaling, FP32 promotion and casts eat most of the 2× peak ratio; DeepSeek-V3 is the only
/// published FP8 run, so this is fitted on one run).</param>
/// <param name="OverlapComputePenalty">Slow-down of compute while communication is overlapped with it
/// (DeepSeek-V3 report §3.2.2: 20 of 132 SMs are reserved for all-to-all → 132/112).</param>
public sealed record Calibration(double KernelEfficiency, double Fp8GemmSpeedup, double OverlapComputePenalty)
{
    public static readonly Calibration Default = new(KernelEfficiency: 0.66, Fp8GemmSpeedup: 1.25,
        OverlapComputePenalty: 132.0 / 112.0);
}
