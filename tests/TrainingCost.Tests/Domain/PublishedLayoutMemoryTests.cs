using Platform.Modeling;
using Platform.Modeling.Flops;
using TrainingCost.Domain;
using Xunit.Abstractions;

namespace TrainingCost.Tests.Domain;

/// <summary>
/// Layouts that ran in reality must fit: DeepSeek-V3's pre-training (2,048 H800 80 GB, DeepSeek-V3 report §3.2)
/// and Llama 3 405B's 8K-sequence pre-training (16,384 H100 80 GB, Llama 3 paper §3.3.2 and Table 4).
/// </summary>
public sealed class PublishedLayoutMemoryTests(ITestOutputHelper output)
{
    private static AcceleratorSpec Gpu(string id) => new() { Id = id, HbmGb = 80, PeakBf16Tflops = 989 };

    private MemoryBreakdown Memory(string preset, ParallelPlan plan, TrainingRunSpec spec)
    {
        var m = ModelPresets.Get(preset);
        var valid = PlanSpace.Validate(m.Architecture, plan, spec.AcceleratorCount,
            sequenceLength: spec.SequenceLength);
        var mem = MemoryModel.Estimate(m.Architecture, m.Parameters, valid, spec.SequenceLength,
            Gpu(spec.Accelerator), ActivationOptions.Of(spec, valid));
        output.WriteLine($"{preset} {valid}: {mem.TotalGb:F1} of {mem.CapacityGb:F1} GB (weights {mem.WeightsGb:F1}, " +
            $"gradients {mem.GradientsGb:F1}, optimizer {mem.OptimizerGb:F1}, activations {mem.ActivationsGb:F1})");
        return mem;
    }

    [Fact]
    public void Deep_seek_v3_pre_training_layout_fits_an_h800()
    {
        // PP16 (DualPipe) × EP64 × ZeRO-1 DP, no TP; 15,360 × 4,096-token batch; FP8 GEMMs with activations cached
        // in FP8 (§3.3.3), BF16 Adam moments and FP32 master weights (§3.3.3); RMSNorm and MLA up-projections
        // recomputed, SwiGLU outputs recomputed from their cached inputs (§3.2.3, §3.3.3).
        var spec = new TrainingRunSpec
        {
            Model = ModelPresets.Get("deepseek-v3").Architecture, TrainingTokens = 14.8e12, SequenceLength = 4096,
            Accelerator = "h800", AcceleratorCount = 2048, GlobalBatchTokens = 15360.0 * 4096,
            Precision = TrainingPrecision.Fp8,
        };
        var plan = new ParallelPlan
        {
            PipelineParallel = 16, ExpertParallel = 64, ZeroStage = 1, Schedule = PipelineSchedule.DualPipe,
            Recompute = RecomputeKind.Selective, Bf16OptimizerMoments = true,
            RecomputeModules = RecomputeModules.CoreAttention | RecomputeModules.Norms
                | RecomputeModules.MlaUpProjection | RecomputeModules.MlpActivation,
        };
        Assert.True(Memory("deepseek-v3", plan, spec).Fits);
    }

    [Fact]
    public void Llama_3_405b_pre_training_layout_fits_an_h100()
    {
        // TP8 × CP1 × PP16 × DP128 on 16,384 GPUs, 8K sequences, 16M-token batch (Table 4), interleaved pipeline,
        // FSDP sharding optimizer states and gradients but not the weights (ZeRO-2; §3.3.2), no activation
        // checkpointing at 8K (§3.3.2).
        var spec = new TrainingRunSpec
        {
            Model = ModelPresets.Get("llama-3.1-405b").Architecture, TrainingTokens = 15.6e12, SequenceLength = 8192,
            Accelerator = "h100-sxm", AcceleratorCount = 16384, GlobalBatchTokens = 2048.0 * 8192,
        };
        var plan = new ParallelPlan
        {
            TensorParallel = 8, PipelineParallel = 16, ZeroStage = 2, Schedule = PipelineSchedule.Interleaved,
            VirtualStages = 8,
        };
        Assert.True(Memory("llama-3.1-405b", plan, spec).Fits);
    }

    [Fact]
    public void Llama_3_405b_long_context_layout_holds_its_gathered_keys_and_values()
    {
        // Long-context stage: TP8 × CP16 × PP16 × DP8 at 131,072 tokens (Table 4), K and V all-gathered over the CP
        // group (§3.3.2). With 8 KV heads of 128 (the 405B config) over TP8, a rank gathers one head's K and V for the
        // whole sequence: 131,072 × 2 × 128 × 2 bytes = 64 MiB, and as much again for their gradients.
        var spec = new TrainingRunSpec
        {
            Model = ModelPresets.Get("llama-3.1-405b").Architecture, TrainingTokens = 800e9, SequenceLength = 131072,
            Accelerator = "h100-sxm", AcceleratorCount = 16384, GlobalBatchTokens = 128.0 * 131072,
        };
        var ring = new ParallelPlan
        {
            TensorParallel = 8, ContextParallel = 16, PipelineParallel = 16, ZeroStage = 2,
            Schedule = PipelineSchedule.Interleaved, VirtualStages = 8,
        };
        var gathered = Memory("llama-3.1-405b", ring with { ContextParallelMethod = ContextParallelMethod.AllGather },
            spec);
        Assert.True(gathered.Fits);
        double extra = (gathered.TotalGb - Memory("llama-3.1-405b", ring, spec).TotalGb) * 1e9;
        Assert.Equal(128.0 * 1024 * 1024, extra, 1e-6 * extra);
        // Plan search proposes both exchanges for long sequences, and no CP at all for 8K ones.
        var a = ModelPresets.Get("llama-3.1-405b").Architecture;
        var plans = PlanSpace.Enumerate(a, 16384, 8, [], sequenceLength: 131072);
        Assert.Contains(plans,
            p => p.ContextParallel == 16 && p.ContextParallelMethod == ContextParallelMethod.AllGather);
        Assert.Contains(plans, p => p.ContextParallel == 16 && p.ContextParallelMethod == ContextParallelMethod.Ring);
        Assert.DoesNotContain(PlanSpace.Enumerate(a, 16384, 8, [], sequenceLength: 8192), p => p.ContextParallel > 1);
    }

    [Fact]
    public void Nominal_hbm_sizes_are_binary_gigabytes()
    {
        // An "80 GB" H100 holds 80 GiB = 85.9e9 bytes (nvidia-smi: 81,559 MiB after the driver's reserve).
        var m = ModelPresets.Get("llama-3.1-8b");
        var mem = MemoryModel.Estimate(m.Architecture, m.Parameters, new ParallelPlan { DataParallel = 1 }, 4096,
            Gpu("h100-sxm"));
        Assert.InRange(mem.CapacityGb / MemoryModel.UsableFraction, 85.8, 86.0);
    }
}
