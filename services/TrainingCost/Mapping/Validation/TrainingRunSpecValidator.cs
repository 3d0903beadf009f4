using FluentValidation;
using Platform.Contracts.Training.V1;
using Platform.ServiceDefaults.Validation;

namespace TrainingCost.Mapping.Validation;

/// <summary>
/// The rules a <see cref="TrainingRunSpec"/> must meet before the domain sees it. Field names are the proto
/// names; a request validator nests them under its own field (<c>run.cluster.count</c>). Model resolution and
/// plan feasibility need the presets and the model's shape, so the domain checks those.
/// </summary>
public sealed class TrainingRunSpecValidator : AbstractValidator<TrainingRunSpec>
{
    public const long MaxAccelerators = 1_000_000;

    /// <summary>Most training tokens of a run (10^18; frontier runs use about 10^13-10^14).</summary>
    public const long MaxTrainingTokens = 1_000_000_000_000_000_000;

    /// <summary>Longest sequence (2^24 tokens).</summary>
    public const long MaxSequenceLength = 1 << 24;

    /// <summary>Most tokens per optimizer step (10^12).</summary>
    public const long MaxGlobalBatchTokens = 1_000_000_000_000;

    /// <summary>Highest price per accelerator-hour, USD.</summary>
    public const double MaxPricePerHour = 1e6;

    /// <summary>Highest scale-out bandwidth override, GB/s per accelerator.</summary>
    public const double MaxScaleOutGbps = 1e6;

    /// <param name="requireAccelerator">
    /// False where the request names the devices elsewhere (CompareAccelerators).
    /// </param>
    public TrainingRunSpecValidator(bool requireAccelerator = true)
    {
        RuleLevelCascadeMode = CascadeMode.Stop;

        RuleFor(x => x.Model).NotNull().WithMessage("is required: give preset, hf_config_json or architecture")
            .ProtoName("model");
        RuleFor(x => x.TrainingTokens).GreaterThan(0)
            .WithMessage(x => x.TrainingTokens == 0
                ? "is required and must be positive"
                : $"must be positive (got {x.TrainingTokens})")
            .LessThanOrEqualTo(MaxTrainingTokens)
            .WithMessage(x => $"must be at most 1e18 (got {x.TrainingTokens:N0})")
            .ProtoName("training_tokens");
        RuleFor(x => x.SequenceLength).GreaterThan(0)
            .WithMessage(x => x.SequenceLength == 0
                ? "is required and must be positive"
                : $"must be positive (got {x.SequenceLength})")
            .LessThanOrEqualTo(MaxSequenceLength)
            .WithMessage(x => $"must be at most {MaxSequenceLength:N0} (got {x.SequenceLength:N0})")
            .ProtoName("sequence_length");
        RuleFor(x => x.Cluster).NotNull().WithMessage("is required: give accelerator and count").ProtoName("cluster")
            .SetValidator(new ClusterValidator(requireAccelerator));
        RuleFor(x => x.Precision).Must(ProtoEnums.IsDefined).WithMessage(x => $"unknown value {(int)x.Precision}")
            .ProtoName("precision");
        RuleFor(x => x.PricePerAcceleratorHourUsd).Must(p => p >= 0 && p <= MaxPricePerHour)
            .WithMessage(x => $"must be 0–1,000,000 USD per hour (got {x.PricePerAcceleratorHourUsd})")
            .ProtoName("price_per_accelerator_hour_usd");
        RuleFor(x => x.PricePreset).Must(ProtoEnums.IsDefined).WithMessage(x => $"unknown value {(int)x.PricePreset}")
            .ProtoName("price_preset");
        RuleFor(x => x.Parallelism).SetValidator(new ParallelismPlanValidator()).ProtoName("parallelism");
        RuleFor(x => x.GlobalBatchTokens).GreaterThanOrEqualTo(0).WithMessage("must not be negative")
            .LessThanOrEqualTo(MaxGlobalBatchTokens)
            .WithMessage(x => $"must be at most 1e12 (got {x.GlobalBatchTokens:N0})")
            .Must((x, tokens) => tokens == 0 || x.SequenceLength <= 0 || tokens >= x.SequenceLength)
            .WithMessage(x => $"must hold at least one sequence ({x.SequenceLength} tokens)")
            .ProtoName("global_batch_tokens");
        RuleFor(x => x.Reliability).SetValidator(new ReliabilityValidator()).ProtoName("reliability");
        RuleFor(x => x.Energy).SetValidator(new EnergyValidator()).ProtoName("energy");
        RuleFor(x => x.Objective).Must(ProtoEnums.IsDefined).WithMessage(x => $"unknown value {(int)x.Objective}")
            .ProtoName("objective");
        RuleForEach(x => x.AllowedSchedules).Cascade(CascadeMode.Continue) // every bad index, not only the first
            .Must(s => s != PipelineSchedule.Unspecified && ProtoEnums.IsDefined(s))
            .WithMessage((_, s) => $"must be a pipeline schedule (got {s})")
            .ProtoName("allowed_schedules");
    }
}

/// <summary>Accelerator type and count.</summary>
public sealed class ClusterValidator : AbstractValidator<Cluster>
{
    public ClusterValidator(bool requireAccelerator = true)
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        if (requireAccelerator)
            RuleFor(x => x.Accelerator).Must(a => !string.IsNullOrWhiteSpace(a)).WithMessage("is required, e.g. 'h800'")
                .ProtoName("accelerator");
        RuleFor(x => x.Count)
            .GreaterThan(0).WithMessage(x => $"must be positive (got {x.Count})")
            .LessThanOrEqualTo(TrainingRunSpecValidator.MaxAccelerators)
            .WithMessage(x => $"must be at most 1,000,000 (got {x.Count})")
            .ProtoName("count");
        RuleFor(x => x.ScaleOutGbps).Must(g => g >= 0 && g <= TrainingRunSpecValidator.MaxScaleOutGbps)
            .WithMessage(x => $"must be 0–1,000,000 GB/s (got {x.ScaleOutGbps})")
            .ProtoName("scale_out_gbps");
    }
}

/// <summary>
/// A fixed parallel layout: degrees and enums in range. Whether the degrees divide the model's heads, layers
/// and experts and multiply to the cluster size is the domain's check (it needs the resolved model).
/// </summary>
public sealed class ParallelismPlanValidator : AbstractValidator<ParallelismPlan>
{
    public ParallelismPlanValidator()
    {
        RuleLevelCascadeMode = CascadeMode.Stop;
        Degree(x => x.TensorParallel, "tensor_parallel");
        Degree(x => x.ContextParallel, "context_parallel");
        RuleFor(x => x.ContextParallelMethod).Must(ProtoEnums.IsDefined)
            .WithMessage(x => $"unknown value {(int)x.ContextParallelMethod}")
            .ProtoName("context_parallel_method");
        Degree(x => x.PipelineParallel, "pipeline_parallel");
        RuleFor(x => x.DataParallel).GreaterThanOrEqualTo(0)
            .WithMessage(x => $"must not be negative (got {x.DataParallel}); 0 = derived from the count")
            .LessThanOrEqualTo((int)TrainingRunSpecValidator.MaxAccelerators)
            .WithMessage(x => $"must be at most 1,000,000 (got {x.DataParallel})")
            .ProtoName("data_parallel");
        Degree(x => x.ExpertParallel, "expert_parallel");
        RuleFor(x => x.ZeroStage).InclusiveBetween(0, 3).When(x => x.HasZeroStage)
            .WithMessage(x => $"must be 0–3 (got {x.ZeroStage})")
            .ProtoName("zero_stage");
        RuleFor(x => x.Recompute).Must(ProtoEnums.IsDefined).WithMessage(x => $"unknown value {(int)x.Recompute}")
            .ProtoName("recompute");
        Degree(x => x.MicroBatchSize, "micro_batch_size", MaxMicroBatch);
        RuleFor(x => x.PipelineSchedule).Must(ProtoEnums.IsDefined)
            .WithMessage(x => $"unknown value {(int)x.PipelineSchedule}")
            .ProtoName("pipeline_schedule");
        Degree(x => x.VirtualStages, "virtual_stages", MaxVirtualStages);
        RuleFor(x => x.RecomputeNumLayers)
            .GreaterThanOrEqualTo(0).WithMessage(x => $"must not be negative (got {x.RecomputeNumLayers})")
            .LessThanOrEqualTo((int)Platform.Modeling.ArchitectureValidator.MaxCount)
            .WithMessage(x => $"must be at most 65,536 (got {x.RecomputeNumLayers})")
            .Must((x, layers) => layers == 0 || x.Recompute == RecomputeMode.Full)
            .WithMessage("applies to RECOMPUTE_MODE_FULL only")
            .ProtoName("recompute_num_layers");
        RuleFor(x => x.RecomputeModules)
            .Must(ms => ms.Count <= 4).WithMessage(x => $"at most 4 modules (got {x.RecomputeModules.Count})")
            .Must(ms => ms.All(m => m != RecomputeModule.Unspecified && ProtoEnums.IsDefined(m)))
            .WithMessage("unknown or unspecified module")
            .Must((x, ms) => ms.Count == 0 || x.Recompute == RecomputeMode.Selective)
            .WithMessage("applies to RECOMPUTE_MODE_SELECTIVE only")
            .ProtoName("recompute_modules");
    }

    /// <summary>Most sequences per micro-batch.</summary>
    public const int MaxMicroBatch = 65_536;

    /// <summary>Most model chunks per pipeline rank.</summary>
    public const int MaxVirtualStages = 1024;

    /// <summary>A degree where 0 means the default, at most <paramref name="max"/> (the most accelerators of a
    /// run unless given).</summary>
    private void Degree(System.Linq.Expressions.Expression<Func<ParallelismPlan, int>> degree, string name,
        int max = (int)TrainingRunSpecValidator.MaxAccelerators) =>
        RuleFor(degree).GreaterThanOrEqualTo(0)
            .WithMessage((_, v) => $"must be at least 1, or 0 for the default (got {v})")
            .LessThanOrEqualTo(max).WithMessage((_, v) => $"must be at most {max:N0} (got {v})")
            .ProtoName(name);
}

/// <summary>Failure and checkpoint assumptions; an absent field takes its default.</summary>
public sealed class ReliabilityValidator : AbstractValidator<Reliability>
{
    public ReliabilityValidator()
    {
        RuleFor(x => x.MtbfHoursPerAccelerator).Must(v => Positive(v) && v <= 1e9)
            .When(x => x.HasMtbfHoursPerAccelerator)
            .WithMessage(x => $"must be positive and at most 1e9 hours (got {x.MtbfHoursPerAccelerator})")
            .ProtoName("mtbf_hours_per_accelerator");
        RuleFor(x => x.RestartHours).Must(v => NotNegative(v) && v <= 1e4).When(x => x.HasRestartHours)
            .WithMessage(x => $"must be 0–10,000 hours (got {x.RestartHours})")
            .ProtoName("restart_hours");
        RuleFor(x => x.CheckpointWriteGbpsPerAccelerator).Must(v => Positive(v) && v <= 1e6)
            .When(x => x.HasCheckpointWriteGbpsPerAccelerator)
            .WithMessage(x => $"must be positive and at most 1e6 GB/s (got {x.CheckpointWriteGbpsPerAccelerator})")
            .ProtoName("checkpoint_write_gbps_per_accelerator");
        RuleFor(x => x.CheckpointIntervalHours).Must(v => NotNegative(v) && v <= 1e4)
            .When(x => x.HasCheckpointIntervalHours)
            .WithMessage(x => $"must be 0–10,000 hours (got {x.CheckpointIntervalHours})")
            .ProtoName("checkpoint_interval_hours");
        RuleFor(x => x.EvaluationFraction).Must(v => NotNegative(v) && v < 1).When(x => x.HasEvaluationFraction)
            .WithMessage(x => $"must be at least 0 and below 1 (got {x.EvaluationFraction})")
            .ProtoName("evaluation_fraction");
        RuleFor(x => x.ProductionOverheadFraction).Must(v => NotNegative(v) && v < 1)
            .When(x => x.HasProductionOverheadFraction)
            .WithMessage(x => $"must be at least 0 and below 1 (got {x.ProductionOverheadFraction})")
            .ProtoName("production_overhead_fraction");
    }

    internal static bool Positive(double v) => v > 0 && double.IsFinite(v);
    internal static bool NotNegative(double v) => v >= 0 && double.IsFinite(v);
}

/// <summary>Energy and carbon assumptions; an absent field takes its default.</summary>
public sealed class EnergyValidator : AbstractValidator<Energy>
{
    public EnergyValidator()
    {
        RuleFor(x => x.AcceleratorWatts).Must(v => v >= 0 && v <= 1e5).When(x => x.HasAcceleratorWatts)
            .WithMessage(x => $"must be 0–100,000 W (got {x.AcceleratorWatts})").ProtoName("accelerator_watts");
        RuleFor(x => x.ServerOverhead).Must(v => v >= 1 && v <= 100).When(x => x.HasServerOverhead)
            .WithMessage(x => x.ServerOverhead < 1 ? $"must be at least 1 (got {x.ServerOverhead})"
                : $"must be 1–100 (got {x.ServerOverhead})").ProtoName("server_overhead");
        RuleFor(x => x.Pue).Must(v => v >= 1 && v <= 10).When(x => x.HasPue)
            .WithMessage(x => x.Pue < 1 ? $"must be at least 1 (got {x.Pue})" : $"must be 1–10 (got {x.Pue})")
            .ProtoName("pue");
        RuleFor(x => x.GridKgCo2PerKwh).Must(v => v >= 0 && v <= 10).When(x => x.HasGridKgCo2PerKwh)
            .WithMessage(x => $"must be 0–10 kg CO2 per kWh (got {x.GridKgCo2PerKwh})")
            .ProtoName("grid_kg_co2_per_kwh");
    }
}
