using Platform.Modeling;
using Platform.Modeling.Flops;

namespace TrainingCost.Domain;

/// <summary>A fully evaluated plan: step time, memory and the whole-run figures.</summary>
public sealed record TrainingEstimate
{
    public required ParallelPlan Plan { get; init; }
    public required StepBreakdown Step { get; init; }
    public required MemoryBreakdown Memory { get; init; }
    public required ReliabilityEstimate Reliability { get; init; }
    public required TrainingFlops Flops { get; init; }
    public required ParameterBreakdown Parameters { get; init; }
    public required AcceleratorSpec Device { get; init; }
    public required int Accelerators { get; init; }
    public required double TrainingTokens { get; init; }
    public required long SequenceLength { get; init; }
    public required double PricePerAcceleratorHour { get; init; }
    public required EnergyOptions Energy { get; init; }

    public double TokensPerStep => (double)Step.GlobalBatchSequences * SequenceLength;
    public double Steps => TrainingTokens / TokensPerStep;
    public double TotalModelFlops => Flops.ModelFlopsPerToken * TrainingTokens;
    /// <summary>Model FLOPs plus recomputed forward work, per token.</summary>
    public required double HardwareFlopsPerToken { get; init; }
    public double PeakFlops => Device.Peak16Tflops * 1e12;
    /// <summary>Step MFU against the dense 16-bit peak (DeepSeek's and Meta's convention, also for FP8 runs).</summary>
    public double Mfu => Flops.ModelFlopsPerToken * TokensPerStep / (Step.StepSeconds * Accelerators * PeakFlops);
    public double Hfu => HardwareFlopsPerToken * TokensPerStep / (Step.StepSeconds * Accelerators * PeakFlops);
    public double TokensPerSecond => TokensPerStep / Step.StepSeconds;
    public double TrainingHours => Steps * Step.StepSeconds / 3600;
    public double WallClockHours => TrainingHours / Reliability.Goodput;
    public double WallClockDays => WallClockHours / 24;
    public double AcceleratorHours => WallClockHours * Accelerators;
    /// <summary>End-to-end utilisation (goodput): model FLOPs over accelerator-hours at peak.</summary>
    public double EffectiveUtilization => TotalModelFlops / (AcceleratorHours * 3600 * PeakFlops);
    public double CostUsd => AcceleratorHours * PricePerAcceleratorHour;
    public double AcceleratorWatts => Energy.AcceleratorWatts > 0 ? Energy.AcceleratorWatts : Device.TdpWatts;
    public double EnergyMwh => AcceleratorHours * AcceleratorWatts * Energy.ServerOverhead * Energy.Pue / 1e6;
    public double Co2Tonnes => EnergyMwh * Energy.GridKgCo2PerKwh;
}
