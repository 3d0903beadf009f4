using Platform.Modeling;
using Platform.Modeling.Flops;

namespace TrainingCost.Domain;

/// <summary>Numeric format of the weight GEMMs (master weights and optimizer state stay FP32/BF16).</summary>
public enum TrainingPrecision { Bf16, Fp16, Fp8 }

/// <summary>Pipeline schedules with their bubble formulas (references.md §1).</summary>
public enum PipelineSchedule { OneFOneB, Interleaved, DualPipe }

/// <summary>How context parallelism exchanges keys and values: Megatron-LM's ring (overlapped with the attention) or
/// Llama 3's all-gather (exposed, paper §3.3.2).</summary>
public enum ContextParallelMethod { Ring, AllGather }

/// <summary>What plan search minimises.</summary>
public enum PlanObjective { MinTime, MinCost }

/// <summary>A parallel layout of one training job. TP × CP × PP × DP = accelerators; EP is carved out of DP × CP ×
/// TP.</summary>
public sealed record ParallelPlan
{
    public int TensorParallel { get; init; } = 1;
    /// <summary>Context parallelism: each sequence split over this many ranks (Megatron-LM's ring attention, Llama 3's
    /// CP).</summary>
    public int ContextParallel { get; init; } = 1;
    /// <summary>How the CP ranks exchange K and V (ring overlapped with attention, or an exposed all-gather).</summary>
    public ContextParallelMethod ContextParallelMethod { get; init; } = ContextParallelMethod.Ring;
    public int PipelineParallel { get; init; } = 1;
    /// <summary>0 = derived from the accelerator count.</summary>
    public int DataParallel { get; init; }
    public int ExpertParallel { get; init; } = 1;
    /// <summary>0 = none, 1 = optimizer states sharded (Megatron distributed optimizer), 2 = + gradients, 3 = +
    /// weights.</summary>
    public int ZeroStage { get; init; } = 1;
    public RecomputeKind Recompute { get; init; } = RecomputeKind.None;
    /// <summary>Sequences per micro-batch.</summary>
    public int MicroBatch { get; init; } = 1;
    public PipelineSchedule Schedule { get; init; } = PipelineSchedule.OneFOneB;
    /// <summary>Model chunks per pipeline rank for the interleaved schedule.</summary>
    public int VirtualStages { get; init; } = 1;
    /// <summary>Optimizer moments in BF16 (DeepSeek-V3) instead of FP32.</summary>
    public bool Bf16OptimizerMoments { get; init; }
    /// <summary>With full recompute: layers per pipeline stage recomputed (Megatron's block method); 0 = all.</summary>
    public int RecomputeLayers { get; init; }
    /// <summary>With selective recompute: what is recomputed (default the attention core, Korthikanti et
    /// al.'s selective recompute).</summary>
    public RecomputeModules RecomputeModules { get; init; } = RecomputeModules.CoreAttention;
    /// <summary>Sequence parallelism with TP (Korthikanti et al. 2022): norms, dropout and the block inputs are
    /// split over the TP ranks too (Megatron-LM's default with TP).</summary>
    public bool SequenceParallel { get; init; } = true;

    /// <summary>Layers (MTP modules included) of the busiest pipeline stage: stages hold whole layers.</summary>
    public static long StageLayers(ModelArchitecture a, int pipelineParallel)
    {
        int pp = Math.Max(1, pipelineParallel);
        return (a.NumLayers + a.NumNextnPredictLayers + pp - 1) / pp;
    }

    /// <summary>Share of the layers whose forward is recomputed under full recompute (1 = all; 0 without full
    /// recompute).</summary>
    public double FullRecomputeFraction(ModelArchitecture a)
    {
        if (Recompute != RecomputeKind.Full) return 0;
        if (RecomputeLayers <= 0) return 1;
        return Math.Min(1, (double)RecomputeLayers / StageLayers(a, PipelineParallel));
    }

    public int Accelerators =>
        TensorParallel * Math.Max(1, ContextParallel) * PipelineParallel * Math.Max(1, DataParallel);

    public override string ToString() =>
        $"TP{TensorParallel} " + (ContextParallel > 1
            ? $"CP{ContextParallel}" + (ContextParallelMethod == ContextParallelMethod.AllGather ? "-allgather " : " ")
            : "") +
        $"PP{PipelineParallel} DP{DataParallel} EP{ExpertParallel} ZeRO-{ZeroStage} mb{MicroBatch} {Recompute}" +
        (Recompute == RecomputeKind.Full && RecomputeLayers > 0 ? $"({RecomputeLayers} layers/stage)" : "") +
        (Recompute == RecomputeKind.Selective && RecomputeModules != RecomputeModules.CoreAttention
            ? $"({RecomputeModules})" : "") +
        (TensorParallel > 1 && !SequenceParallel ? " no-SP" : "") +
        $" {Schedule}" +
        (Schedule == PipelineSchedule.Interleaved ? $" v{VirtualStages}" : "");
}

/// <summary>Failure, checkpoint and evaluation assumptions of the goodput (end-to-end time = step time ÷
/// goodput).</summary>
/// <param name="MtbfHoursPerAccelerator">Mean time between job-interrupting failures of one accelerator (with its share
/// of host, network, software).</param>
/// <param name="RestartHours">Detection, rescheduling and reload time per interruption (default 12 min: the largest
/// value for which the Llama 3 405B case, 419 unexpected interruptions in 54 days on 16,384 GPUs, keeps the paper's
/// "higher than 90% effective training time").</param>
/// <param name="CheckpointWriteGBpsPerAccelerator">Rate at which each accelerator's shard of the training state reaches
/// storage.</param>
/// <param name="CheckpointIntervalHours">0 = the Young/Daly optimum √(2·δ·M).</param>
/// <param name="EvaluationFraction">Share of wall-clock time spent on evaluation and other non-training passes the
/// job runs (default 0: pre-training runs publish none; set it when in-loop evaluation is heavy).</param>
/// <param name="ProductionOverheadFraction">Share of wall-clock time a production run loses beyond its kernels'
/// step time and the modelled failures and checkpoints: stragglers and slow steps at scale, data-loader and host
/// stalls, rollbacks, idle gaps between jobs (default <see cref="DefaultProductionOverhead"/>, fitted on published
/// hours; 0 for a benchmark-like step throughput).</param>
public sealed record ReliabilityOptions(
    double MtbfHoursPerAccelerator = ReliabilityOptions.DefaultMtbfHours,
    double RestartHours = 0.2,
    double CheckpointWriteGBpsPerAccelerator = 1.0,
    double CheckpointIntervalHours = 0,
    double EvaluationFraction = 0,
    double ProductionOverheadFraction = ReliabilityOptions.DefaultProductionOverhead)
{
    /// <summary>
    /// The one goodput term fitted on published hours (docs/TRAINING.md, "Calibration"): with the kernel efficiency
    /// fitted on measured benchmark steps (Korthikanti et al. 2022, PTD-P), the published runs' hours are longer than
    /// step time ÷ modelled failure goodput by this share (the fraction whose log-ratio is the median over the 13 runs
    /// with published hours, `make validate`). references.md §1: step MFU underestimates hours by 10–35%.
    /// </summary>
    public const double DefaultProductionOverhead = 0.21;

    /// <summary>Llama 3 405B: 419 unexpected interruptions in 54 days on 16,384 H100 → 16,384 × 54 × 24 / 419 ≈
    /// 50,700 accelerator-hours.</summary>
    public const double DefaultMtbfHours = 50_700;
}

/// <summary>Energy and carbon assumptions (references.md §1: GPU-h × chip power × server overhead × PUE).</summary>
/// <param name="AcceleratorWatts">0 = the device's TDP (Meta charges 700 W per H100).</param>
/// <param name="ServerOverhead">Server draw over the accelerators' (Epoch AI: host adds 0.75 × TDP → 1.75).</param>
/// <param name="Pue">Data-centre power usage effectiveness (Epoch AI: 1.1 hyperscale).</param>
/// <param name="GridKgCo2PerKwh">Grid carbon intensity (default 0.414: Meta's 8,930 t for 30.84M H100-h at 700
/// W).</param>
public sealed record EnergyOptions(double AcceleratorWatts = 0, double ServerOverhead = 1.75, double Pue = 1.1,
    double GridKgCo2PerKwh = 0.414);

/// <summary>Which of a device's rental price presets to use when no explicit price is given.</summary>
public enum PriceTier { Mid, Low, List }

/// <summary>One training run to estimate.</summary>
public sealed record TrainingRunSpec
{
    public required ModelArchitecture Model { get; init; }
    public required double TrainingTokens { get; init; }
    public required long SequenceLength { get; init; }
    public required string Accelerator { get; init; }
    public required int AcceleratorCount { get; init; }
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Bf16;
    /// <summary>Tokens per optimizer step; 0 picks a default (see <see cref="DefaultGlobalBatchTokens"/>).</summary>
    public double GlobalBatchTokens { get; init; }
    /// <summary>A fixed plan, or null to search.</summary>
    public ParallelPlan? Plan { get; init; }
    public PlanObjective Objective { get; init; } = PlanObjective.MinTime;
    /// <summary>USD per accelerator-hour; 0 uses the device's preset of <see cref="PriceTier"/>.</summary>
    public double PricePerAcceleratorHour { get; init; }
    public PriceTier PriceTier { get; init; } = PriceTier.Mid;
    public ReliabilityOptions Reliability { get; init; } = new();
    public EnergyOptions Energy { get; init; } = new();
    /// <summary>Attention without a fused kernel (scores materialised; pre-2022 Megatron-LM / DeepSpeed
    /// runs).</summary>
    public bool MaterializedAttention { get; init; }
    /// <summary>Dropout in attention and after each block (GPT-3-era pre-training): its masks are stored.</summary>
    public bool Dropout { get; init; }
    /// <summary>Override of the device's scale-out bandwidth per accelerator (GB/s), e.g. an older cluster's
    /// fabric.</summary>
    public double ScaleOutGBpsOverride { get; init; }
    /// <summary>Pipeline schedules plan search may use; null = all (a framework without interleaving or DualPipe
    /// narrows it).</summary>
    public IReadOnlyList<PipelineSchedule>? AllowedSchedules { get; init; }
    /// <summary>Smallest TP degree plan search may use (1 = any): a run whose source states model parallelism
    /// without its degree (LLaMA §2.4) is searched among TP ≥ 2 plans.</summary>
    public int MinTensorParallel { get; init; } = 1;
    /// <summary>Recompute kind plan search must use (null = any): what the run's source states.</summary>
    public RecomputeKind? RequiredRecompute { get; init; }

    /// <summary>Sequences per step asked for: the given batch, else the default below.</summary>
    public long RequestedBatchSequences =>
        Math.Max(1,
            (long)Math.Round((GlobalBatchTokens > 0 ? GlobalBatchTokens
                : DefaultGlobalBatchTokens(AcceleratorCount, SequenceLength)) / SequenceLength));

    /// <summary>
    /// Sequences per step a plan actually runs: the requested batch rounded to the nearest whole number of
    /// micro-batches per DP rank (frameworks need DP × micro-batch × accumulation = batch), at least one.
    /// </summary>
    public long GlobalBatchSequences(int dataParallel, int microBatch)
    {
        long perStep = (long)dataParallel * microBatch;
        return Math.Max(1, (long)Math.Round((double)RequestedBatchSequences / perStep)) * perStep;
    }

    /// <summary>Default batch: 4 sequences per accelerator, clamped to 4M–16M tokens (Llama 3: 16M; LLaMA/BLOOM:
    /// 4M).</summary>
    public static double DefaultGlobalBatchTokens(int accelerators, long seq) =>
        Math.Clamp(4.0 * accelerators * seq, 4 * 1024 * 1024, 16 * 1024 * 1024);
}
