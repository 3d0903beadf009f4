using HardwareEmulator;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using Microsoft.Extensions.Options;
using Platform.EmulatorClient;
using Platform.Modeling;
using Platform.Modeling.Flops;
using TrainingCost.Domain;

namespace TrainingCost.Tests.Domain;

/// <summary>
/// Published runs estimated as their sources say they were trained, against their published figures
/// (training_runs.tsv). Hours use the shipped production overhead, which was fitted on these runs' hours among 13
/// (in sample; `make validate` gives the leave-one-out errors); step MFU is fitted on nothing.
/// </summary>
public sealed class PublishedRunTests
{
    private static readonly TrainingEstimator Estimator = new(new Platform.EmulatorClient.Emulator(
        new InProcessEmulatorBackend(new DeviceCatalog(), new TimingModel()),
        Options.Create(new EmulatorClientOptions())));

    private static TrainingRunSpec Run(string preset, string device, int count, double tokens, long seq,
        double batchSequences) => new()
        {
            Model = ModelPresets.Get(preset).Architecture, TrainingTokens = tokens, SequenceLength = seq,
            Accelerator = device, AcceleratorCount = count, GlobalBatchTokens = batchSequences * seq,
        };

    // LLaMA paper §2.4: model and sequence parallelism (Korthikanti et al. 2022) and checkpointing that saves the
    // expensive activations (linear-layer outputs) — TP ≥ 2 with SP and selective recompute; the degrees are not
    // published, so the planner picks them. 2,048 A100-80GB, 1.4T tokens, 4M-token batch, 1,022,362 GPU-hours
    // (Table 15): a firm figure, held to 10%.
    [Fact]
    public async Task Llama_65b_with_its_published_parallelism_is_within_10_percent_of_its_gpu_hours()
    {
        var spec = Run("llama-65b", "a100-80gb", 2048, 1.4e12, 2048, 2048) with
        {
            MinTensorParallel = 2,
            RequiredRecompute = RecomputeKind.Selective,
        };
        var e = await Estimator.EstimateAsync(spec, default);
        Assert.True(e.Plan.TensorParallel >= 2 && e.Plan.SequenceParallel, e.Plan.ToString());
        Assert.Equal(RecomputeKind.Selective, e.Plan.Recompute);
        Assert.InRange(e.AcceleratorHours / 1_022_362, 0.90, 1.10);
    }

    // Llama 2 paper §2.2: "most of the pretraining setting" from Llama 1, so the same parallelism. 2T tokens at 4K,
    // 4M-token batch, 1,720,320 GPU-hours (model card); the 1,000 A100s are an Epoch estimate, so 15%.
    [Fact]
    public async Task Llama_2_70b_with_llama_1s_parallelism_is_within_15_percent_of_its_gpu_hours()
    {
        var spec = Run("llama-2-70b", "a100-80gb", 1000, 2e12, 4096, 1024) with
        {
            MinTensorParallel = 2,
            RequiredRecompute = RecomputeKind.Selective,
        };
        var e = await Estimator.EstimateAsync(spec, default);
        Assert.True(e.Plan.TensorParallel >= 2, e.Plan.ToString());
        Assert.InRange(e.AcceleratorHours / 1_720_320, 0.85, 1.15);
    }

    // mosaicml/llm-foundry scripts/train/yamls/pretrain/mpt-7b.yaml: FSDP FULL_SHARD (ZeRO-3) with
    // activation_checkpointing (every block: full recompute), micro-batch 8 capped by the 1,760 / 440 = 4 sequences
    // each GPU holds. 1T tokens, 440 A100-40GB over 9.5 days ≈ 100,000 GPU-hours (both derived): 15%.
    [Fact]
    public async Task Mpt_7b_with_fsdp_and_activation_checkpointing_is_within_15_percent_of_its_gpu_hours()
    {
        var spec = Run("mpt-7b", "a100-40gb", 440, 1e12, 2048, 1760) with
        {
            Plan = new ParallelPlan { ZeroStage = 3, Recompute = RecomputeKind.Full, MicroBatch = 4 },
        };
        var e = await Estimator.EstimateAsync(spec, default);
        Assert.InRange(e.AcceleratorHours / 100_000, 0.85, 1.15);
    }

    // Wu et al. 2023 Table 4: 102 TFLOP/s per A100 with full activation checkpointing, i.e. counting the recompute
    // (4 passes for 3): 102 / 312 × 6/8 = 24.5% MFU. ZeRO-3 over 512 A100-40GB on AWS p4d (400 Gb/s per 8 GPUs).
    [Fact]
    public async Task Bloomberg_gpt_step_mfu_is_within_5_percent_of_its_reported_throughput()
    {
        var spec = Run("bloomberggpt-50b", "a100-40gb", 512, 569e9, 2048, 2048) with
        {
            Plan = new ParallelPlan { ZeroStage = 3, Recompute = RecomputeKind.Full },
            ScaleOutGBpsOverride = 6.25,
        };
        var e = await Estimator.EstimateAsync(spec, default);
        Assert.InRange(e.Mfu / (102.0 / 312 * 6 / 8), 0.95, 1.05);
    }

    [Fact]
    public async Task Plan_search_keeps_to_the_tensor_parallel_floor_and_recompute_it_is_given()
    {
        var spec = Run("llama-3.1-8b", "h100-sxm", 64, 1e11, 4096, 512) with
        {
            MinTensorParallel = 4,
            RequiredRecompute = RecomputeKind.Full,
        };
        var r = await Estimator.SearchAsync(spec, 20, default);
        Assert.NotEmpty(r.Best);
        Assert.All(r.Best, e => Assert.True(e.Plan.TensorParallel >= 4 && e.Plan.Recompute == RecomputeKind.Full));
    }
}
