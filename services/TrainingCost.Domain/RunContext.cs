using Platform.Modeling;
using Platform.Modeling.Flops;
using Platform.Modeling.Ops;

namespace TrainingCost.Domain;

/// <summary>Everything about a run that does not change from plan to plan.</summary>
public sealed record RunContext(ModelArchitecture Model, ParameterBreakdown Parameters, TrainingRunSpec Spec,
    AcceleratorSpec Device, Calibration Calibration)
{
    public DataType GemmFormat => Spec.Precision switch
    {
        TrainingPrecision.Fp8 => DataType.Fp8E4M3,
        TrainingPrecision.Fp16 => DataType.Fp16,
        _ => DataType.Bf16,
    };
    /// <summary>16-bit format of activations, gradients and non-GEMM ops.</summary>
    public DataType HalfFormat => Spec.Precision == TrainingPrecision.Fp16 ? DataType.Fp16 : DataType.Bf16;
    public TrainingFlops Flops { get; } = FlopCounter.Training(Model, Spec.SequenceLength);
}
