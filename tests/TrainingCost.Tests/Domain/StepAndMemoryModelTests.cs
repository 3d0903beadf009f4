using Platform.Modeling;
using Platform.Modeling.Flops;
using Platform.Modeling.Ops;
using TrainingCost.Domain;

namespace TrainingCost.Tests.Domain;

public sealed class StepAndMemoryModelTests
{
    private static readonly AcceleratorSpec H100 = new()
    {
        Id = "h100-sxm", PeakBf16Tflops = 989, PeakFp16Tflops = 989, PeakFp8Tflops = 1979, HbmGb = 80, HbmTbps = 3.35,
        ScaleUpGBps = 450, ScaleOutGBps = 50, ScaleUpDomain = 8, TdpWatts = 700, PriceMidUsd = 3,
    };

    private static RunContext Context(string preset, int count, double batchTokens = 0) => new(
        ModelPresets.Get(preset).Architecture, ModelPresets.Get(preset).Parameters,
        new TrainingRunSpec
        {
            Model = ModelPresets.Get(preset).Architecture, TrainingTokens = 1e12, SequenceLength = 4096,
            Accelerator = "h100-sxm", AcceleratorCount = count, GlobalBatchTokens = batchTokens,
        },
        H100, Calibration.Default);

    // Every compute op 1 ms, every collective free: isolates the schedule arithmetic.
    private static double ComputeOnly(OpShape op) => op is CollectiveShape ? 0 : 1e-3;

    [Theory]
    [InlineData(false, 3.5)] // fused kernel: forward + a backward of 2.5× (FlashAttention recomputes QKᵀ, softmax)
    [InlineData(true, 3.0)]  // materialized score matrix (Megatron's unfused softmax): forward + 2× backward
    public void Attention_core_backward_recomputes_the_scores_only_under_a_fused_kernel(bool materialized,
        double passes)
    {
        var arch = ModelPresets.Get("llama-3.1-8b").Architecture;
        var ctx = new RunContext(arch, ModelPresets.Get("llama-3.1-8b").Parameters,
            new TrainingRunSpec
            {
                Model = arch, TrainingTokens = 1e12, SequenceLength = 4096, Accelerator = "h100-sxm",
                AcceleratorCount = 8, MaterializedAttention = materialized,
            },
            H100, Calibration.Default);
        var plan = PlanSpace.Validate(ctx.Model, new ParallelPlan { TensorParallel = 8 }, 8);
        // The attention core 1 ms slower per op: the compute grows by that forward change times the passes.
        static double Slower(OpShape op) => op is CollectiveShape ? 0 : op.IsAttentionCore ? 2e-3 : 1e-3;
        var a = StepModel.Evaluate(ctx, plan, ComputeOnly);
        var b = StepModel.Evaluate(ctx, plan, Slower);
        var layout = new OpLayout(8, 1, 1, DataType.Bf16, MaterializedAttention: materialized, ScaleUpDomain: 8);
        int coreOps = ModelOps.Decompose(arch, layout, PassShape.Training(1, 4096)).OpsOf(OpGroupKind.DenseLayer)
            .Count(o => o.IsAttentionCore && o is not CollectiveShape);
        double forwardChange = arch.NumLayers * coreOps * 1e-3 / ctx.Calibration.KernelEfficiency;
        Assert.Equal(passes * forwardChange, (b.ComputeSeconds - a.ComputeSeconds) / a.MicroBatches, 1e-9);
    }

    [Fact]
    public void One_f_one_b_bubble_is_p_minus_1_micro_batch_times()
    {
        var ctx = Context("llama-3.1-70b", 64, 64 * 4096);
        var plan = PlanSpace.Validate(ctx.Model, new ParallelPlan { TensorParallel = 8, PipelineParallel = 4 }, 64);
        var s = StepModel.Evaluate(ctx, plan, ComputeOnly);
        Assert.Equal(32, s.MicroBatches); // 64 sequences over DP 2
        double perMicro = s.ComputeSeconds / s.MicroBatches;
        Assert.Equal(3 * perMicro, s.BubbleSeconds, 1e-9);
    }

    [Fact]
    public void The_stage_with_the_most_layers_sets_the_pipeline_pace()
    {
        // 82 layers over 4 stages: the busiest stage holds 21, exactly like 84 layers spread evenly.
        var ctx = Context("llama-3.1-70b", 64, 64 * 4096);
        StepBreakdown Step(long layers)
        {
            var c = ctx with { Model = ctx.Model with { NumLayers = layers } };
            return StepModel.Evaluate(c,
                PlanSpace.Validate(c.Model, new ParallelPlan { TensorParallel = 8, PipelineParallel = 4 }, 64),
                ComputeOnly);
        }
        Assert.Equal(Step(84).ComputeSeconds, Step(82).ComputeSeconds, 1e-12);
        Assert.True(Step(80).ComputeSeconds < Step(82).ComputeSeconds);
    }

    [Fact]
    public void Parallel_attention_and_ffn_block_halves_tensor_parallel_communication()
    {
        var ctx = Context("llama-3.1-70b", 64, 64 * 4096);
        var parallelCtx = ctx with { Model = ctx.Model with { ParallelBlock = true } };
        var plan = PlanSpace.Validate(ctx.Model, new ParallelPlan { TensorParallel = 8, PipelineParallel = 4 }, 64);
        static double CollectivesOnly(OpShape op) => op is CollectiveShape ? 1e-3 : 0;
        var sequential = StepModel.Evaluate(ctx, plan, CollectivesOnly);
        var parallel = StepModel.Evaluate(parallelCtx, plan, CollectivesOnly);
        Assert.True(sequential.TensorParallelSeconds > 0);
        Assert.Equal(sequential.TensorParallelSeconds / 2, parallel.TensorParallelSeconds, 1e-9);
    }

    [Fact]
    public void Interleaving_divides_the_bubble_by_the_virtual_stages()
    {
        var ctx = Context("llama-3.1-70b", 64, 64 * 4096);
        var plain = StepModel.Evaluate(ctx,
            PlanSpace.Validate(ctx.Model, new ParallelPlan { TensorParallel = 8, PipelineParallel = 4 }, 64),
            ComputeOnly);
        var inter = StepModel.Evaluate(ctx, PlanSpace.Validate(ctx.Model, new ParallelPlan
        {
            TensorParallel = 8, PipelineParallel = 4, Schedule = PipelineSchedule.Interleaved, VirtualStages = 4,
        }, 64), ComputeOnly);
        Assert.Equal(plain.BubbleSeconds / 4, inter.BubbleSeconds, 1e-9);
    }

    [Fact]
    public void Dual_pipe_hides_expert_all_to_all_behind_compute()
    {
        var ctx = Context("deepseek-v3", 2048, 15360.0 * 4096);
        double Time(OpShape op) => op is CollectiveShape c && c.Kind == CollectiveOpKind.AllToAll ? 1e-4 : 1e-3;
        var dual = StepModel.Evaluate(ctx, PlanSpace.Validate(ctx.Model, new ParallelPlan
        {
            PipelineParallel = 16, ExpertParallel = 64, Schedule = PipelineSchedule.DualPipe,
        }, 2048), Time);
        var plain = StepModel.Evaluate(ctx,
            PlanSpace.Validate(ctx.Model, new ParallelPlan { PipelineParallel = 16, ExpertParallel = 64 }, 2048), Time);
        Assert.Equal(0, dual.ExpertParallelExposedSeconds);
        Assert.True(dual.ExpertParallelOverlappedSeconds > 0);
        Assert.True(plain.ExpertParallelExposedSeconds > 0);
    }

    [Fact]
    public void Zero_3_reduces_gradients_and_gathers_weights_every_micro_batch_zero_1_once_per_step()
    {
        // 8 GPUs of one node, DP 8: 8 micro-batches per step with a 64-sequence batch, 1 with an 8-sequence batch.
        static double CollectivesOnly(OpShape op) => op is CollectiveShape ? 1e-3 : 0;
        double DpSeconds(int zero, double batchTokens)
        {
            var ctx = Context("llama-3.1-8b", 8, batchTokens);
            var s = StepModel.Evaluate(ctx, PlanSpace.Validate(ctx.Model, new ParallelPlan { ZeroStage = zero }, 8),
                CollectivesOnly);
            return s.DataParallelExposedSeconds + s.DataParallelOverlappedSeconds;
        }
        Assert.Equal(DpSeconds(1, 8 * 4096), DpSeconds(1, 64 * 4096), 1e-12);
        // ZeRO-3: per micro-batch two weight all-gathers and one gradient reduce-scatter.
        Assert.Equal(8 * DpSeconds(3, 8 * 4096), DpSeconds(3, 64 * 4096), 1e-9);
        Assert.Equal(3e-3, DpSeconds(3, 8 * 4096), 1e-12);
    }

    [Fact]
    public void Overlapped_data_parallel_communication_slows_the_compute_it_hides_behind()
    {
        var ctx = Context("llama-3.1-8b", 8, 8 * 4096);
        var plan = PlanSpace.Validate(ctx.Model, new ParallelPlan { ZeroStage = 3 }, 8);
        double Small(OpShape op) => op is CollectiveShape ? 1e-6 : 1e-3;
        var s = StepModel.Evaluate(ctx, plan, Small);
        double hidden = s.DataParallelOverlappedSeconds;
        Assert.True(hidden > 0);
        Assert.Equal(hidden * (1 - 1 / ctx.Calibration.OverlapComputePenalty), s.DataParallelExposedSeconds, 1e-12);
    }

    [Fact]
    public void Batch_is_rounded_to_the_nearest_whole_number_of_micro_batches_per_rank()
    {
        var spec = Context("llama-3.1-8b", 1000, 1024 * 4096).Spec;
        Assert.Equal(1000, spec.GlobalBatchSequences(500, 1));   // 1024 / 500 ≈ 2.05 → 2 per rank
        Assert.Equal(1024, spec.GlobalBatchSequences(512, 1));
        Assert.Equal(2000, spec.GlobalBatchSequences(2000, 1));  // never less than one sequence per rank
    }

    [Fact]
    public void Recomputing_half_the_layers_of_a_stage_costs_half_the_recompute_and_keeps_half_the_activations()
    {
        var ctx = Context("llama-3.1-70b", 64, 64 * 4096);
        ParallelPlan Plan(RecomputeKind rc, int layers = 0) =>
            PlanSpace.Validate(ctx.Model, new ParallelPlan
            {
                TensorParallel = 8, PipelineParallel = 4, Recompute = rc, RecomputeLayers = layers,
            }, 64);
        var none = StepModel.Evaluate(ctx, Plan(RecomputeKind.None), ComputeOnly);
        var full = StepModel.Evaluate(ctx, Plan(RecomputeKind.Full), ComputeOnly);
        // 80 layers / PP 4 = 20 per stage
        var half = StepModel.Evaluate(ctx, Plan(RecomputeKind.Full, 10), ComputeOnly);
        Assert.True(full.ComputeSeconds > none.ComputeSeconds);
        Assert.Equal((none.ComputeSeconds + full.ComputeSeconds) / 2, half.ComputeSeconds, 1e-9);

        double Act(ParallelPlan p) =>
            ActivationModel.BytesPerLayer(ctx.Model, p, 4096, ActivationOptions.Default, false);
        Assert.Equal((Act(Plan(RecomputeKind.None)) + Act(Plan(RecomputeKind.Full))) / 2,
            Act(Plan(RecomputeKind.Full, 10)), 1e-3);
        // every layer of the stage = full
        Assert.Equal(Act(Plan(RecomputeKind.Full)), Act(Plan(RecomputeKind.Full, 20)), 1e-3);
    }

    [Fact]
    public void Context_parallelism_splits_token_work_attention_and_activations_over_its_ranks()
    {
        // 64 GPUs, 32K-token sequences: TP8 × CP2 × DP4 against TP8 × DP8 with the same 64-sequence batch.
        var ctx = Context("llama-3.1-70b", 64, 64 * 32768);
        ctx = ctx with { Spec = ctx.Spec with { SequenceLength = 32768 } };
        var noCp = PlanSpace.Validate(ctx.Model, new ParallelPlan { TensorParallel = 8 }, 64, sequenceLength: 32768);
        var cp2 = PlanSpace.Validate(ctx.Model, new ParallelPlan { TensorParallel = 8, ContextParallel = 2 }, 64,
            sequenceLength: 32768);
        Assert.Equal(4, cp2.DataParallel);
        Assert.Equal(64, cp2.Accelerators);
        // Op time proportional to its work; collectives free.
        static double Proportional(OpShape op) => op switch
        {
            GemmShape g => g.Flops * 1e-15,
            GroupedGemmShape g => g.Flops * 1e-15,
            AttentionShape t => t.Batch * t.QueryLen * t.KvLen * t.Heads * (t.Causal ? 0.5 : 1) * 1e-12,
            ElementwiseShape e => e.Elements * 1e-12,
            _ => 0,
        };
        var a = StepModel.Evaluate(ctx, noCp, Proportional);
        var b = StepModel.Evaluate(ctx, cp2, Proportional);
        // Half the DP ranks, so twice the micro-batches per rank, each half as long: same compute per step.
        Assert.Equal(2 * a.MicroBatches, b.MicroBatches);
        Assert.Equal(a.ComputeSeconds, b.ComputeSeconds, 1e-9 * a.ComputeSeconds);
        // K/V ring traffic exists and hides behind attention when the attention is long enough.
        static double Slow(OpShape op) => op is CollectiveShape ? 1e-6 : op is AttentionShape ? 1e-2 : 1e-3;
        var hidden = StepModel.Evaluate(ctx, cp2, Slow);
        Assert.True(hidden.ContextParallelOverlappedSeconds > 0);
        Assert.Equal(0, hidden.ContextParallelExposedSeconds);
        static double SlowNet(OpShape op) => op is CollectiveShape c && c.Name.StartsWith("cp_") ? 1.0 : 1e-3;
        Assert.True(StepModel.Evaluate(ctx, cp2, SlowNet).ContextParallelExposedSeconds > 0);

        double Act(ParallelPlan p) => MemoryModel.Estimate(ctx.Model, ctx.Parameters, p, 32768, H100).ActivationsGb;
        Assert.InRange(Act(noCp) / Act(cp2), 1.95, 2.05);
    }

    [Fact]
    public void All_gather_context_parallelism_exposes_the_kv_exchange_the_ring_hides()
    {
        var ctx = Context("llama-3.1-70b", 64, 64 * 32768);
        ctx = ctx with { Spec = ctx.Spec with { SequenceLength = 32768 } };
        var ring = PlanSpace.Validate(ctx.Model, new ParallelPlan { TensorParallel = 8, ContextParallel = 2 }, 64,
            sequenceLength: 32768);
        var gather = ring with { ContextParallelMethod = ContextParallelMethod.AllGather };
        // Attention long enough to hide the ring's K/V traffic.
        static double Slow(OpShape op) => op is CollectiveShape ? 1e-6 : op is AttentionShape ? 1e-2 : 1e-3;
        var r = StepModel.Evaluate(ctx, ring, Slow);
        var g = StepModel.Evaluate(ctx, gather, Slow);
        Assert.Equal(0, r.ContextParallelExposedSeconds);
        Assert.Equal(0, g.ContextParallelOverlappedSeconds);
        // Same bytes moved, same attention compute: the all-gather only moves the exchange onto the critical path.
        Assert.Equal(r.ContextParallelOverlappedSeconds, g.ContextParallelExposedSeconds,
            1e-9 * r.ContextParallelOverlappedSeconds);
        Assert.Equal(r.ComputeSeconds, g.ComputeSeconds);
        Assert.True(g.ExposedCommunicationSeconds > r.ExposedCommunicationSeconds);
    }

    [Fact]
    public void Context_parallelism_needs_two_chunks_per_rank_of_the_sequence()
    {
        var ctx = Context("llama-3.1-70b", 64);
        var e = Assert.Throws<Platform.Modeling.Errors.InvalidFieldException>(() =>
            PlanSpace.Validate(ctx.Model, new ParallelPlan { TensorParallel = 8, ContextParallel = 4 }, 64,
                sequenceLength: 8196));
        Assert.Equal("parallelism.context_parallel", e.Field);
    }

    [Fact]
    public void Zero_1_shards_optimizer_states_over_data_parallel_ranks()
    {
        var a = ModelPresets.Get("llama-3.1-8b");
        var z0 = MemoryModel.Estimate(a.Architecture, a.Parameters,
            new ParallelPlan { ZeroStage = 0, DataParallel = 64 }, 4096, H100);
        var z1 = MemoryModel.Estimate(a.Architecture, a.Parameters,
            new ParallelPlan { ZeroStage = 1, DataParallel = 64 }, 4096, H100);
        // 12 bytes per parameter unsharded
        Assert.InRange(z0.OptimizerGb / (12.0 * a.Parameters.Total / 1e9), 0.99, 1.01);
        Assert.InRange(z0.OptimizerGb / z1.OptimizerGb, 63.9, 64.1);
        Assert.Equal(z0.WeightsGb, z1.WeightsGb);
        // Megatron's 18 B/param
        Assert.InRange((z0.WeightsGb + z0.GradientsGb + z0.OptimizerGb) / (a.Parameters.Total / 1e9), 17.9, 18.1);
    }

    [Fact]
    public void Full_recompute_stores_far_fewer_activations_and_tensor_parallel_divides_them()
    {
        var a = ModelPresets.Get("llama-3.1-70b").Architecture;
        double Act(ParallelPlan p) => ActivationModel.BytesPerLayer(a, p, 4096, ActivationOptions.Default, false);
        double none = Act(new ParallelPlan());
        double full = Act(new ParallelPlan { Recompute = RecomputeKind.Full });
        double tp8 = Act(new ParallelPlan { TensorParallel = 8 });
        Assert.True(full < none / 10);
        Assert.Equal(none / 8, tp8, 1e-6 * none);
    }

    [Fact]
    public void A_model_too_big_for_the_devices_does_not_fit_and_says_why()
    {
        var a = ModelPresets.Get("llama-3.1-405b");
        var m = MemoryModel.Estimate(a.Architecture, a.Parameters,
            new ParallelPlan { TensorParallel = 8, DataParallel = 1 }, 8192, H100);
        Assert.False(m.Fits);
        Assert.Contains("GB", m.Reason);
    }

    [Fact]
    public void Larger_clusters_lose_more_time_to_failures()
    {
        var small = ReliabilityModel.Estimate(new ReliabilityOptions(), 1024, 20, 1000);
        var large = ReliabilityModel.Estimate(new ReliabilityOptions(), 16384, 20, 1000);
        Assert.True(large.Goodput < small.Goodput);
        Assert.InRange(large.ClusterMtbfHours, 3.0, 3.2); // Llama 3: an interruption every ~3 h on 16k GPUs
        // Young/Daly interval √(2δM).
        Assert.Equal(Math.Sqrt(2 * (20.0 / 1.0 / 3600) * large.ClusterMtbfHours), large.CheckpointIntervalHours, 1e-9);
    }
}
