using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace TrainingCost.Tests.Grpc;

public sealed class PlanningRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private TrainingCostService.TrainingCostServiceClient Client => new(factory.Channel);

    [Fact]
    public async Task Plan_search_returns_top_k_fitting_plans_best_first_with_rejection_reasons()
    {
        var r = await Client.PlanParallelismAsync(new PlanParallelismRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-70b" }, TrainingTokens = 15_000_000_000_000,
                SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 512 },
            },
            TopK = 4,
        });
        Assert.Equal(4, r.Plans.Count);
        Assert.All(r.Plans, p => Assert.True(p.Fits));
        Assert.All(r.Plans, p =>
            Assert.Equal(512, p.Plan.TensorParallel * p.Plan.PipelineParallel * p.Plan.DataParallel));
        for (int i = 1; i < r.Plans.Count; i++) Assert.True(r.Plans[i - 1].WallClockDays <= r.Plans[i].WallClockDays);
        Assert.True(r.CandidatesEvaluated > 1000);
        Assert.Contains(r.Rejections, x => x.Reason == "out of memory" && x.Count > 0);
        Assert.Contains(r.RejectedExamples, x => x.Reason.StartsWith("out of memory") && x.Reason.Contains("GB"));
    }

    [Fact]
    public async Task Plan_search_never_spreads_a_given_batch_thinner_than_one_sequence_per_data_parallel_rank()
    {
        // 256 sequences of 4096 on 1024 GPUs: data parallel × micro-batch may not exceed 256.
        var r = await Client.PlanParallelismAsync(new PlanParallelismRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
                SequenceLength = 4096, GlobalBatchTokens = 256 * 4096,
                Cluster = new Cluster { Accelerator = "h100-sxm", Count = 1024 },
            },
            TopK = 3,
        });
        Assert.NotEmpty(r.Plans);
        Assert.All(r.Plans, p => Assert.True(p.Plan.DataParallel * p.Plan.MicroBatchSize <= 256, p.Plan.ToString()));
        Assert.Contains(r.Rejections, x => x.Reason.StartsWith("data parallel × micro-batch exceeds") && x.Count > 0);
    }

    [Fact]
    public async Task Plan_search_keeps_to_the_allowed_pipeline_schedules()
    {
        PlanParallelismRequest Request() => new()
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-405b" }, TrainingTokens = 15_000_000_000_000,
                SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 2048 },
            },
            TopK = 5,
        };
        var free = await Client.PlanParallelismAsync(Request());
        var onlyOneFOneB = Request();
        onlyOneFOneB.Run.AllowedSchedules.Add(PipelineSchedule.OneFOneB);
        var narrowed = await Client.PlanParallelismAsync(onlyOneFOneB);
        Assert.NotEmpty(narrowed.Plans);
        Assert.All(narrowed.Plans, p => Assert.Equal(PipelineSchedule.OneFOneB, p.Plan.PipelineSchedule));
        Assert.True(narrowed.CandidatesEvaluated < free.CandidatesEvaluated);
    }

    [Fact]
    public async Task Long_sequences_are_planned_with_context_parallelism()
    {
        var r = await Client.PlanParallelismAsync(new PlanParallelismRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-70b" }, TrainingTokens = 100_000_000_000,
                SequenceLength = 131072, GlobalBatchTokens = 128L * 131072,
                Cluster = new Cluster { Accelerator = "h100-sxm", Count = 1024 },
            },
            TopK = 3,
        });
        Assert.NotEmpty(r.Plans);
        Assert.Contains(r.Plans, p => p.Plan.ContextParallel > 1);
        Assert.All(r.Plans, p => Assert.Equal(1024,
            p.Plan.TensorParallel * Math.Max(1, p.Plan.ContextParallel) * p.Plan.PipelineParallel
            * p.Plan.DataParallel));
        var best = r.Plans[0];
        Assert.True(best.Step.ContextParallelExposedSeconds + best.Step.ContextParallelOverlappedSeconds > 0
            || best.Plan.ContextParallel == 1);
    }

    [Fact]
    public async Task Min_cost_objective_may_use_fewer_accelerators_and_never_costs_more()
    {
        PlanParallelismRequest Request(PlanObjective o) => new()
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
                SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 1024 }, Objective = o,
            },
            TopK = 1,
        };
        var time = (await Client.PlanParallelismAsync(Request(PlanObjective.MinTime))).Plans[0];
        var cost = (await Client.PlanParallelismAsync(Request(PlanObjective.MinCost))).Plans[0];
        Assert.True(cost.CostUsd <= time.CostUsd * 1.0000001);
        Assert.True(time.WallClockDays <= cost.WallClockDays * 1.0000001);
    }

    [Fact]
    public async Task Compare_accelerators_gives_each_device_its_time_cost_and_fit()
    {
        var request = new CompareAcceleratorsRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-70b" }, TrainingTokens = 2_000_000_000_000,
                SequenceLength = 4096, Cluster = new Cluster { Count = 256 }, PricePreset = PricePreset.Mid,
            },
        };
        request.Accelerators.Add("a100-80gb");
        request.Accelerators.Add("h100-sxm");
        request.Accelerators.Add("b200");
        var r = await Client.CompareAcceleratorsAsync(request);
        Assert.Equal(["a100-80gb", "h100-sxm", "b200"], r.Results.Select(x => x.Accelerator));
        Assert.All(r.Results, x => Assert.True(x.Fits && x.Estimate.CostUsd > 0 && x.Estimate.EnergyMwh > 0));
        // Newer accelerators finish sooner.
        Assert.True(r.Results[0].Estimate.WallClockDays > r.Results[1].Estimate.WallClockDays);
        Assert.True(r.Results[1].Estimate.WallClockDays > r.Results[2].Estimate.WallClockDays);
    }

    [Fact]
    public async Task Compare_reports_a_device_that_cannot_hold_the_model_as_not_fitting()
    {
        var request = new CompareAcceleratorsRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-405b" }, TrainingTokens = 1_000_000_000_000,
                SequenceLength = 8192, Cluster = new Cluster { Count = 8 },
            },
        };
        request.Accelerators.Add("a100-40gb");
        var r = await Client.CompareAcceleratorsAsync(request);
        Assert.False(r.Results[0].Fits);
        Assert.Contains("GB", r.Results[0].Reason);
    }

    [Fact]
    public async Task Chinchilla_budget_gives_70B_parameters_and_1_4T_tokens_with_the_epoch_refit()
    {
        var r = await Client.ComputeOptimalAsync(new ComputeOptimalRequest { ComputeBudgetFlops = 5.76e23 });
        Assert.InRange(r.Parameters / 1e9, 63, 77);
        Assert.InRange(r.Tokens / 1e12, 1.26, 1.54);
        Assert.Equal(5.76e23, 6 * r.Parameters * r.Tokens, 1e-6 * 5.76e23);
        Assert.InRange(r.TokensPerParameter, 17, 23);
        Assert.InRange(r.PredictedLoss, 1.9, 2.1);
    }

    [Fact]
    public async Task Compute_optimal_reverse_question_round_trips()
    {
        var forward = await Client.ComputeOptimalAsync(new ComputeOptimalRequest { ComputeBudgetFlops = 1e24 });
        var back = await Client.ComputeOptimalAsync(new ComputeOptimalRequest { Parameters = forward.Parameters });
        Assert.Equal(1e24, back.ComputeFlops, 1e-6 * 1e24);
        Assert.Equal(forward.Tokens, back.Tokens, 1e-6 * forward.Tokens);
    }

    [Fact]
    public async Task Project_cost_falls_about_73_percent_a_year_with_the_default_trends()
    {
        var r = await Client.ProjectCostAsync(new ProjectCostRequest { CostUsd = 5_576_000, Years = 3 });
        Assert.Equal(4, r.Series.Count);
        Assert.Equal(5_576_000, r.Series[0].CostUsd, 1e-6);
        Assert.InRange(r.AnnualDecline, 0.70, 0.76);
        Assert.Equal(5_576_000 * Math.Pow(1 - r.AnnualDecline, 3), r.Series[3].CostUsd, 1e-3);
    }

    [Fact]
    public async Task Project_cost_can_start_from_an_estimated_run()
    {
        var r = await Client.ProjectCostAsync(new ProjectCostRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
                SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
                PricePerAcceleratorHourUsd = 2,
            },
            Years = 2,
        });
        Assert.True(r.CostTodayUsd > 10_000);
        Assert.True(r.Series[2].CostUsd < r.Series[0].CostUsd / 5);
    }
}
