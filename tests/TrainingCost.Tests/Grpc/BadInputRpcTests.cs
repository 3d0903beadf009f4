using Grpc.Core;
using Google.Protobuf;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace TrainingCost.Tests.Grpc;

/// <summary>
/// Bad input is refused with the field named as the client sent it (run.cluster.count), before any work is done.
/// </summary>
public sealed class BadInputRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private TrainingCostService.TrainingCostServiceClient Client => new(factory.Channel);

    private static EstimateTrainingRunRequest Valid() => new()
    {
        Run = new TrainingRunSpec
        {
            Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
            SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
        },
    };

    /// <summary>
    /// Estimates a valid run after <paramref name="change"/>; errors in it are named run.&lt;field&gt;.
    /// </summary>
    private Task Estimate(Action<TrainingRunSpec> change)
    {
        var r = Valid();
        change(r.Run);
        return Client.EstimateTrainingRunAsync(r).ResponseAsync;
    }

    [Fact]
    public Task Missing_tokens_is_invalid_training_tokens() =>
        GrpcAssert.InvalidFieldPath("run.training_tokens", () => Estimate(r => r.TrainingTokens = 0));

    [Fact]
    public Task Negative_tokens_is_invalid_training_tokens() =>
        GrpcAssert.InvalidFieldPath("run.training_tokens", () => Estimate(r => r.TrainingTokens = -5));

    [Fact]
    public Task Unspecified_allowed_schedule_is_invalid() =>
        GrpcAssert.InvalidFieldPath("run.allowed_schedules[1]", () =>
            Estimate(r => r.AllowedSchedules.Add([PipelineSchedule.OneFOneB, PipelineSchedule.Unspecified])));

    [Fact]
    public Task Recompute_layers_without_full_recompute_is_invalid() =>
        GrpcAssert.InvalidFieldPath("run.parallelism.recompute_num_layers", () =>
            Estimate(r => r.Parallelism = new ParallelismPlan
            {
                TensorParallel = 8, Recompute = RecomputeMode.Selective, RecomputeNumLayers = 4,
            }));

    [Fact]
    public Task Unknown_context_parallel_method_is_invalid() =>
        GrpcAssert.InvalidFieldPath("run.parallelism.context_parallel_method", () =>
            Estimate(r => r.Parallelism = new ParallelismPlan
            {
                TensorParallel = 8, ContextParallelMethod = (ContextParallelMethod)9,
            }));

    [Fact]
    public Task Batch_too_small_for_the_given_plans_data_parallel_ranks_is_invalid() =>
        // 64 GPUs at TP 8 = DP 8, but the batch holds 4 sequences.
        GrpcAssert.InvalidFieldPath("run.global_batch_tokens", () => Estimate(r =>
        {
            r.GlobalBatchTokens = 4 * 8192;
            r.Parallelism = new ParallelismPlan { TensorParallel = 8 };
        }));

    [Fact]
    public Task Context_parallel_that_does_not_split_the_sequence_evenly_is_invalid() =>
        // 8192 tokens cannot be cut into 2 × 3 load-balanced chunks.
        GrpcAssert.InvalidFieldPath("run.parallelism.context_parallel", () =>
            Estimate(r => r.Parallelism = new ParallelismPlan
            {
                TensorParallel = 8, ContextParallel = 3,
            }));

    [Fact]
    public Task Allowed_schedules_no_layout_can_use_is_a_failed_precondition() =>
        // One accelerator has no pipeline, so DualPipe is impossible.
        GrpcAssert.FailsWith(StatusCode.FailedPrecondition, "run.allowed_schedules", () => Estimate(r =>
        {
            r.Cluster.Count = 1;
            r.AllowedSchedules.Add(PipelineSchedule.DualPipe);
        }));

    [Fact]
    public Task Zero_sequence_length_is_invalid() =>
        GrpcAssert.InvalidFieldPath("run.sequence_length", () => Estimate(r => r.SequenceLength = 0));

    [Fact]
    public Task Non_positive_count_is_invalid_cluster_count() =>
        GrpcAssert.InvalidFieldPath("run.cluster.count", () => Estimate(r => r.Cluster.Count = -8));

    [Fact]
    public Task Missing_cluster_is_invalid() =>
        GrpcAssert.InvalidFieldPath("run.cluster", () => Estimate(r => r.Cluster = null));

    [Fact]
    public Task Unknown_accelerator_is_not_found_naming_cluster_accelerator() =>
        GrpcAssert.FailsWith(StatusCode.NotFound, "run.cluster.accelerator", () =>
            Estimate(r => r.Cluster.Accelerator = "h9000"));

    [Fact]
    public Task Unknown_preset_is_not_found_naming_model_preset() =>
        GrpcAssert.FailsWith(StatusCode.NotFound, "run.model.preset", () =>
            Estimate(r => r.Model = new ModelSpec { Preset = "gpt-7" }));

    [Fact]
    public Task Config_json_that_does_not_parse_is_invalid_hf_config_json() =>
        GrpcAssert.InvalidFieldPath("run.model.hf_config_json", () =>
            Estimate(r => r.Model = new ModelSpec { HfConfigJson = "{\"hidden_size\": 4096,," }));

    [Fact]
    public Task Config_json_without_hidden_size_names_the_missing_field() =>
        GrpcAssert.InvalidFieldPath("run.model.hf_config_json.hidden_size", () => Estimate(r => r.Model = new ModelSpec
        {
            HfConfigJson = """
                {"model_type":"llama","num_hidden_layers":32,"num_attention_heads":32,"vocab_size":32000,
                "intermediate_size":11008}
                """,
        }));

    [Fact]
    public Task Tensor_parallel_that_does_not_divide_the_heads_is_invalid() =>
        GrpcAssert.InvalidFieldPath("run.parallelism.tensor_parallel", () =>
            Estimate(r => r.Parallelism = new ParallelismPlan { TensorParallel = 3 }));

    [Fact]
    public Task Expert_parallel_that_does_not_divide_the_experts_is_invalid() =>
        GrpcAssert.InvalidFieldPath("run.parallelism.expert_parallel", () => Estimate(r =>
        {
            r.Model = new ModelSpec { Preset = "deepseek-v3" };
            r.Cluster = new Cluster { Accelerator = "h800", Count = 2048 };
            r.Parallelism = new ParallelismPlan { PipelineParallel = 16, ExpertParallel = 48 };
        }));

    [Fact]
    public Task Plan_whose_product_is_not_the_count_is_invalid() =>
        GrpcAssert.InvalidFieldPath("run.parallelism.data_parallel", () =>
            Estimate(r => r.Parallelism = new ParallelismPlan { TensorParallel = 8, DataParallel = 4 }));

    [Fact]
    public Task Fp8_on_a_device_without_fp8_units_fails_the_precondition() =>
        GrpcAssert.FailsWith(StatusCode.FailedPrecondition, "run.precision", () => Estimate(r =>
        {
            r.Cluster.Accelerator = "a100-80gb";
            r.Precision = Precision.Fp8;
        }));

    [Fact]
    public Task Model_that_fits_no_plan_fails_the_precondition_with_the_reason() =>
        GrpcAssert.FailsWith(StatusCode.FailedPrecondition, "run.cluster.count", () => Estimate(r =>
        {
            r.Model = new ModelSpec { Preset = "llama-3.1-405b" };
            r.Cluster.Count = 2;
        }));

    [Fact]
    public async Task A_cluster_no_plan_suits_names_the_real_reason_not_an_impossible_layout()
    {
        var e = await GrpcAssert.FailsWith(StatusCode.FailedPrecondition, "run.cluster.count", () => Estimate(r =>
        {
            r.Model = new ModelSpec { Preset = "deepseek-v3" };
            r.Cluster = new Cluster { Accelerator = "h800", Count = 100_000 };
            r.Precision = Precision.Fp8;
            r.SequenceLength = 4096;
        }));
        Assert.DoesNotContain("exceeds the 61 layers", e.Status.Detail);
        Assert.Contains("no parallel", e.Status.Detail);
    }

    [Fact]
    public Task Plan_search_rejects_a_negative_top_k() =>
        GrpcAssert.InvalidFieldPath("top_k", () => Client.PlanParallelismAsync(PlanRequest(-1)).ResponseAsync);

    [Fact]
    public Task Plan_search_refuses_bad_runs_too() =>
        GrpcAssert.InvalidFieldPath("run.cluster.count", () =>
        {
            var r = PlanRequest(3);
            r.Run.Cluster.Count = 0;
            return Client.PlanParallelismAsync(r).ResponseAsync;
        });

    [Fact]
    public Task Compare_without_devices_is_invalid() =>
        GrpcAssert.InvalidFieldPath("accelerators", () => Client.CompareAcceleratorsAsync(new CompareAcceleratorsRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000,
                SequenceLength = 4096, Cluster = new Cluster { Count = 8 },
            },
        }).ResponseAsync);

    [Fact]
    public Task Compare_with_an_unknown_device_names_its_index() =>
        GrpcAssert.FailsWith(StatusCode.NotFound, "accelerators[1]", () =>
        {
            var r = new CompareAcceleratorsRequest
            {
                Run = new TrainingRunSpec
                {
                    Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000,
                    SequenceLength = 4096, Cluster = new Cluster { Count = 8 },
                },
            };
            r.Accelerators.Add("h100-sxm");
            r.Accelerators.Add("nope-1");
            return Client.CompareAcceleratorsAsync(r).ResponseAsync;
        });

    [Fact]
    public Task Compute_optimal_needs_a_positive_budget() =>
        GrpcAssert.InvalidFieldPath("compute_budget_flops", () =>
            Client.ComputeOptimalAsync(new ComputeOptimalRequest { ComputeBudgetFlops = -1 }).ResponseAsync);

    [Fact]
    public Task Compute_optimal_needs_exactly_one_question() =>
        GrpcAssert.InvalidFieldPath("compute_budget_flops", () =>
            Client.ComputeOptimalAsync(new ComputeOptimalRequest()).ResponseAsync);

    [Fact]
    public Task Project_cost_needs_a_cost_or_a_run() =>
        GrpcAssert.InvalidFieldPath("cost_usd", () => Client.ProjectCostAsync(new ProjectCostRequest()).ResponseAsync);

    [Fact]
    public Task Unknown_job_is_not_found() =>
        GrpcAssert.FailsWith(StatusCode.NotFound, "job_id", () =>
            Client.GetJobAsync(new GetJobRequest { JobId = Guid.NewGuid().ToString() }).ResponseAsync);

    [Fact]
    public Task Malformed_job_id_is_invalid() =>
        GrpcAssert.InvalidFieldPath("job_id", () =>
            Client.GetJobAsync(new GetJobRequest { JobId = "job-1" }).ResponseAsync);

    [Fact]
    public Task Submitting_a_bad_run_fails_at_once_not_in_the_job() =>
        GrpcAssert.InvalidFieldPath("run.sequence_length", () =>
            Client.SubmitEstimateJobAsync(new SubmitEstimateJobRequest
            {
                Run = new TrainingRunSpec
                {
                    Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000,
                    Cluster = new Cluster { Accelerator = "h100-sxm", Count = 8 },
                },
            }).ResponseAsync);

    [Fact]
    public async Task Watching_an_unknown_job_is_not_found()
    {
        await GrpcAssert.FailsWith(StatusCode.NotFound, "job_id", async () =>
        {
            using var call = Client.WatchJob(new WatchJobRequest { JobId = Guid.NewGuid().ToString() });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
    }

    [Fact]
    public void Int64_tokens_are_accepted_as_json_numbers_too()
    {
        var r = JsonParser.Default.Parse<EstimateTrainingRunRequest>(
            """{"run": {"trainingTokens": 14800000000000, "sequenceLength": 4096}}""");
        Assert.Equal(14_800_000_000_000, r.Run.TrainingTokens);
    }

    [Fact]
    public async Task Every_bad_run_field_comes_back_as_its_own_violation()
    {
        var violations = await GrpcAssert.InvalidFieldPath("run.training_tokens", () => Estimate(r =>
        {
            r.TrainingTokens = 0;
            r.Cluster.Count = 2_000_000;
            r.Energy = new Energy { Pue = 0.5 };
        }));
        Assert.Equal(["run.training_tokens", "run.cluster.count", "run.energy.pue"], violations.Select(v => v.Field));
        Assert.Equal("must be at most 1,000,000 (got 2000000)", violations[1].Description);
    }

    [Fact]
    public Task Compare_names_the_runs_fields_under_run() =>
        GrpcAssert.InvalidFieldPath("run.cluster.count", () =>
        {
            var r = new CompareAcceleratorsRequest { Run = Valid().Run };
            r.Run.Cluster.Count = 0;
            r.Accelerators.Add("h100-sxm");
            return Client.CompareAcceleratorsAsync(r).ResponseAsync;
        });

    [Fact]
    public Task Project_cost_from_a_bad_run_names_the_runs_field() =>
        GrpcAssert.InvalidFieldPath("run.sequence_length", () =>
        {
            var run = Valid().Run;
            run.SequenceLength = -1;
            return Client.ProjectCostAsync(new ProjectCostRequest { Run = run }).ResponseAsync;
        });

    [Fact]
    public Task Plan_job_with_too_large_a_top_k_is_refused_at_submission() =>
        GrpcAssert.InvalidFieldPath("top_k", () =>
            Client.SubmitPlanJobAsync(new SubmitPlanJobRequest { Run = Valid().Run, TopK = 101 }).ResponseAsync);

    [Fact]
    public Task Request_without_a_run_is_invalid_run() =>
        GrpcAssert.InvalidFieldPath("run", () =>
            Client.PlanParallelismAsync(new PlanParallelismRequest { TopK = 3 }).ResponseAsync);

    private static PlanParallelismRequest PlanRequest(int topK) => new()
    {
        Run = new TrainingRunSpec
        {
            Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
            SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
        },
        TopK = topK,
    };
}
