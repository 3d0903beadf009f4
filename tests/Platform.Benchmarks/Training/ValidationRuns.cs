using Platform.Modeling.Flops;
using TrainingCost.Domain;

namespace Platform.Benchmarks;

/// <summary>
/// How one published run is estimated: the architecture preset and the published setup (source in Note).
/// </summary>
/// <param name="ModelPrefix">Start of the row's model cell in training_runs.tsv.</param>
/// <param name="PublishedHoursOverride">
/// Hours to compare with when the cell mixes stages (e.g. DeepSeek-V3 pre-training only).
/// </param>
/// <param name="TokensOverride">Tokens when the cell gives two figures.</param>
/// <param name="Plan">Published parallel layout, or null to let the planner choose.</param>
/// <param name="ReportedMfu">
/// Step MFU the source reports on the model-FLOPs basis (hardware-FLOPs figures of recomputing runs converted with
/// 6/8), 0 when none; compared with the modelled step MFU, never used to estimate.
/// </param>
/// <param name="Schedules">Pipeline schedules the planner may use (null = all): those the run's framework had.</param>
/// <param name="MinTensorParallel">Smallest TP the planner may use: the source states model parallelism, not its
/// degree.</param>
/// <param name="Recompute">Recompute kind the planner must use (null = any): the source states it.</param>
public sealed record ValidationRun(
    string ModelPrefix, string Preset, string Accelerator, long SequenceLength, double GlobalBatchTokens,
    TrainingPrecision Precision, ParallelPlan? Plan, string Note,
    double PublishedHoursOverride = 0, double TokensOverride = 0, double ScaleOutGBps = 0, int CountOverride = 0,
    string? Flag = null, bool MaterializedAttention = false, double ReportedMfu = 0,
    PipelineSchedule[]? Schedules = null, bool Dropout = false, int MinTensorParallel = 1,
    RecomputeKind? Recompute = null);

/// <summary>The published setups of the runs in training_runs.tsv (papers cited in the TSV's source column).</summary>
public static class ValidationRuns
{
    public static readonly ValidationRun[] All =
    [
        new("DeepSeek-V3", "deepseek-v3", "h800", 4096, 15360.0 * 4096, TrainingPrecision.Fp8,
            new ParallelPlan
            {
                PipelineParallel = 16, ExpertParallel = 64, ZeroStage = 1, Schedule = PipelineSchedule.DualPipe,
                Recompute = RecomputeKind.Selective, MicroBatch = 1, Bf16OptimizerMoments = true,
                RecomputeModules = RecomputeModules.CoreAttention | RecomputeModules.Norms
                    | RecomputeModules.MlaUpProjection | RecomputeModules.MlpActivation,
            },
            "published hours are pre-training only (2.664M of 2.788M); " +
            "PP16 DualPipe × EP64 × ZeRO-1, batch 15,360 × 4096; RMSNorm, MLA up-projection and SwiGLU outputs " +
            "recomputed (report §3.2.3, §3.3.3)",
            PublishedHoursOverride: 2_664_000, Flag: "compared with the pre-training 2.664M of the 2.788M total",
            ReportedMfu: 0.3894),
        new("Llama 3.1 405B", "llama-3.1-405b", "h100-sxm", 8192, 2048.0 * 8192, TrainingPrecision.Bf16,
            new ParallelPlan
            {
                TensorParallel = 8, PipelineParallel = 16, ZeroStage = 2, Schedule = PipelineSchedule.Interleaved,
                VirtualStages = 8,
            },
            "TP8 × PP16 (interleaved; chunk count not published, 8 ≈ one layer per chunk) × DP128, " +
            "FSDP sharding optimizer states and gradients (ZeRO-2, paper §3.3.2), " +
            "16 sequences per DP rank, 16M-token batch",
            Flag: "card hours may include more than pre-training", ReportedMfu: 400.0 / 989),
        new("Llama 2 70B", "llama-2-70b", "a100-80gb", 4096, 4.0 * 1024 * 1024, TrainingPrecision.Bf16, null,
            "GPU count is an Epoch estimate (1000?); Llama 1's pre-training setup (Llama 2 paper §2.2: 'most of " +
            "the pretraining setting ... from Llama 1'), so as LLaMA-65B: TP ≥ 2 with sequence parallelism and " +
            "selective recompute, degrees chosen by the planner",
            MinTensorParallel: 2, Recompute: RecomputeKind.Selective),
        new("LLaMA-65B", "llama-65b", "a100-80gb", 2048, 4.0 * 1024 * 1024, TrainingPrecision.Bf16, null,
            "4M-token batch; model and sequence parallelism (Korthikanti et al.) and checkpointing that saves the " +
            "expensive activations, e.g. linear-layer outputs (LLaMA paper §2.4), i.e. TP ≥ 2 with SP and " +
            "selective recompute; degrees not published, chosen by the planner",
            ReportedMfu: 0.477, MinTensorParallel: 2, Recompute: RecomputeKind.Selective),
        new("OPT-175B", "opt-175b", "a100-80gb", 2048, 2.0 * 1024 * 1024, TrainingPrecision.Fp16,
            new ParallelPlan
            {
                TensorParallel = 8, PipelineParallel = 1, ZeroStage = 3, Recompute = RecomputeKind.Full, MicroBatch = 8,
            },
            "FSDP (ZeRO-3) × Megatron TP8, no PP, 8 sequences per DP rank without accumulation; " +
            "300B tokens (chronicle, matches the 4.3e23 FLOPs the hours derive from); dropout 0.1 (paper §2.2)",
            TokensOverride: 300e9, MaterializedAttention: true, Dropout: true, ReportedMfu: 147.0 / 312 * 6 / 8),
        new("BLOOM-176B", "bloom-176b", "a100-80gb", 2048, 2048.0 * 2048, TrainingPrecision.Bf16,
            new ParallelPlan
            {
                TensorParallel = 4, PipelineParallel = 12, ZeroStage = 1, MicroBatch = 2,
                Recompute = RecomputeKind.Full,
            },
            "TP4 × PP12 × DP8 (Megatron-DeepSpeed), micro-batch 2, batch 2048 × 2048, --checkpoint-activations, " +
            "BF16 optimizer sharding (= ZeRO-1) " +
            "(bigscience train/tr11-176B-ml/tr11-176B-ml.slurm); Jean Zay Omni-Path 4×100 Gb/s per 8 GPUs; " +
            "the 150 TFLOPs it logs count the recompute (× 6/8)",
            ScaleOutGBps: 6.25, MaterializedAttention: true, ReportedMfu: 150.0 / 312 * 6 / 8),
        new("PaLM 540B", "palm-540b", "tpu-v4", 2048, 2048.0 * 2048, TrainingPrecision.Bf16,
            new ParallelPlan
            {
                TensorParallel = 12, PipelineParallel = 1, ZeroStage = 3, Recompute = RecomputeKind.Full,
                RecomputeLayers = 89,
            },
            "12-way model parallel × 256-way fully sharded data parallel per pod × 2 pods " +
            "(ZeRO-3-like: 540B/12 in BF16 alone is 90 GB, " +
            "the chip has 32), no PP; rematerialisation worth HFU/MFU = 57.8/46.2 = 1.251, i.e. the forward of " +
            "3 × 0.251 = 75% of the layers recomputed (89 of 118)", ReportedMfu: 0.462),
        new("GPT-3 175B", "gpt-3-175b", "v100", 2048, 1536.0 * 2048, TrainingPrecision.Fp16, null,
            "GPU count and hours are third-party estimates (Patterson et al. 2021); " +
            "layout not published, plan chosen by the planner " +
            "among 1F1B plans (the interleaved schedule was published in 2021, after the run); " +
            "Microsoft's cluster: 400 Gb/s per 8-GPU server",
            MaterializedAttention: true, ScaleOutGBps: 6.25, Schedules: [PipelineSchedule.OneFOneB]),
        new("Megatron-Turing NLG 530B", "mt-nlg-530b", "a100-80gb", 2048, 1920.0 * 2048, TrainingPrecision.Bf16,
            new ParallelPlan
            {
                TensorParallel = 8, PipelineParallel = 35, ZeroStage = 1, Recompute = RecomputeKind.Full,
            },
            "TP8 × PP35 × DP16, batch 1920 × 2048; hours are an Epoch estimate", MaterializedAttention: true,
            ReportedMfu: 113.0 / 312 * 6 / 8),
        new("Falcon-180B", "falcon-180b", "a100-40gb", 2048, 2048.0 * 2048, TrainingPrecision.Bf16,
            new ParallelPlan
            {
                TensorParallel = 8, PipelineParallel = 8, ZeroStage = 1, Recompute = RecomputeKind.Selective,
            },
            "TP8 × PP8 × DP64 + ZeRO (Falcon paper); AWS p4d, 4×100 Gb/s EFA per 8 GPUs; " +
            "7M GPU-h from the launch blog", ScaleOutGBps: 6.25,
            Flag: "hours approximate (~7M, launch blog)"),
        new("Falcon-40B", "falcon-40b", "a100-40gb", 2048, 1152.0 * 2048, TrainingPrecision.Bf16,
            new ParallelPlan
            {
                TensorParallel = 8, PipelineParallel = 4, ZeroStage = 1, Recompute = RecomputeKind.Selective,
            },
            "TP8 × PP4 × DP12; AWS p4d, 4×100 Gb/s EFA per 8 GPUs; hours derived from '2 months'",
            ScaleOutGBps: 6.25),
        new("Nemotron-4 340B", "nemotron-4-340b", "h100-sxm", 4096, 2304.0 * 4096, TrainingPrecision.Bf16,
            new ParallelPlan
            {
                TensorParallel = 8, PipelineParallel = 12, ZeroStage = 1, Schedule = PipelineSchedule.Interleaved,
                VirtualStages = 8,
            },
            "TP8 × PP12 (interleaved) × DP64; no published hours", ReportedMfu: 0.417),
        new("BloombergGPT 50B", "bloomberggpt-50b", "a100-40gb", 2048, 2048.0 * 2048, TrainingPrecision.Bf16,
            new ParallelPlan
            {
                TensorParallel = 1, PipelineParallel = 1, ZeroStage = 3, Recompute = RecomputeKind.Full,
            },
            "ZeRO-3 + full activation checkpointing on AWS p4d (400 Gb/s EFA per 8 GPUs); the 102 TFLOP/s per GPU " +
            "it reports (Wu et al. 2023 Table 4) count the recompute (× 6/8)",
            ScaleOutGBps: 6.25, ReportedMfu: 102.0 / 312 * 6 / 8),
        new("DBRX", "dbrx", "h100-sxm", 4096, 0, TrainingPrecision.Bf16, null,
            "16 experts top-4; layout and batch not published, plan chosen by the planner; no published hours"),
        new("MPT-7B", "mpt-7b", "a100-40gb", 2048, 1760.0 * 2048, TrainingPrecision.Bf16,
            new ParallelPlan
            {
                TensorParallel = 1, PipelineParallel = 1, ZeroStage = 3, Recompute = RecomputeKind.Full, MicroBatch = 4,
            },
            "FSDP FULL_SHARD (= ZeRO-3) with activation_checkpointing (every block, i.e. full recompute), " +
            "micro-batch 8 capped by the 1760 / 440 = 4 sequences per GPU (mosaicml/llm-foundry " +
            "scripts/train/yamls/pretrain/mpt-7b.yaml); batch 1760 × 2048 (model card); GPU count 440?"),
    ];
}
