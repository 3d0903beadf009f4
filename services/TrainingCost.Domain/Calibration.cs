namespace TrainingCost.Domain;

/// <summary>
/// The few global constants of the step-time model that are not taken from a source. The kernel efficiency is
/// fitted on measured benchmark steps only (Korthikanti et al. 2022 Table 5, PTD-P Table 1: `make validate` prints
/// the best value and the step errors); what end-to-end hours need beyond the step is in the goodput
/// (<see cref="ReliabilityOptions"/>, its production overhead fitted on published hours), never in this record.
/// See docs/TRAINING.md, "Calibration".
/// </summary>
/// <param name="KernelEfficiency">Achieved fraction of the emulator's modelled op time for BF16/FP16 compute
/// in a tuned training framework (kernel shapes, launch gaps, fusion the op list does not see), fitted on the
/// measured Megatron-LM steps on A100.</param>
/// <param name="Fp8GemmSpeedup">End-to-end speed-up of an FP8 weight GEMM over the same GEMM in BF16
/// (fine-grained scaling, FP32 promotion and casts eat most of the 2× peak ratio; DeepSeek-V3 is the only
/// published FP8 run, so this is fitted on one run).</param>
/// <param name="OverlapComputePenalty">Slow-down of compute while communication is overlapped with it
/// (DeepSeek-V3 report §3.2.2: 20 of 132 SMs are reserved for all-to-all → 132/112).</param>
public sealed record Calibration(double KernelEfficiency, double Fp8GemmSpeedup, double OverlapComputePenalty)
{
    public static readonly Calibration Default = new(KernelEfficiency: 0.86, Fp8GemmSpeedup: 1.25,
        OverlapComputePenalty: 132.0 / 112.0);
}
