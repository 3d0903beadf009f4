using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Validation;
using TrainingCost.Mapping.Validation;

namespace TrainingCost.Tests.Grpc;

/// <summary>The request validators name each bad field by its full proto path, as the client sent it.</summary>
public sealed class ValidationTests
{
    private static TrainingRunSpec Run() => new()
    {
        Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000, SequenceLength = 8192,
        Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
    };

    private static IReadOnlyList<FieldViolation> Violations<T>(FluentValidation.IValidator<T> validator, T request) =>
        Assert.Throws<InvalidFieldException>(() => validator.ThrowIfInvalid(request)).Violations;

    private static FieldViolation Single(IReadOnlyList<FieldViolation> violations, string field) =>
        Assert.Single(violations, v => v.Field == field);

    [Fact]
    public void A_valid_request_passes_every_validator()
    {
        TrainingValidators.Estimate.ThrowIfInvalid(new EstimateTrainingRunRequest { Run = Run() });
        TrainingValidators.Plan.ThrowIfInvalid(new PlanParallelismRequest { Run = Run(), TopK = 100 });
        TrainingValidators.SubmitEstimate.ThrowIfInvalid(new SubmitEstimateJobRequest { Run = Run() });
        TrainingValidators.SubmitPlan.ThrowIfInvalid(new SubmitPlanJobRequest { Run = Run() });
        TrainingValidators.ProjectCost.ThrowIfInvalid(new ProjectCostRequest { Run = Run() });
        var compare = new CompareAcceleratorsRequest { Run = Run() };
        compare.Run.Cluster.Accelerator = "";
        compare.Accelerators.Add("h100-sxm");
        TrainingValidators.Compare.ThrowIfInvalid(compare);
    }

    [Theory]
    [InlineData(0, "is required and must be positive")]
    [InlineData(-5, "must be positive (got -5)")]
    public void Training_tokens_are_named_under_run(long tokens, string reason)
    {
        var r = new EstimateTrainingRunRequest { Run = Run() };
        r.Run.TrainingTokens = tokens;
        Assert.Equal(reason, Single(Violations(TrainingValidators.Estimate, r), "run.training_tokens").Reason);
    }

    [Theory]
    [InlineData(0, "must be positive (got 0)")]
    [InlineData(-8, "must be positive (got -8)")]
    [InlineData(1_000_001, "must be at most 1,000,000 (got 1000001)")]
    public void Cluster_count_out_of_range_is_run_cluster_count(long count, string reason)
    {
        var r = new PlanParallelismRequest { Run = Run() };
        r.Run.Cluster.Count = count;
        Assert.Equal(reason, Single(Violations(TrainingValidators.Plan, r), "run.cluster.count").Reason);
    }

    [Fact]
    public void Every_bad_field_is_reported_not_just_the_first()
    {
        var r = new SubmitPlanJobRequest { Run = Run(), TopK = 101 };
        r.Run.SequenceLength = -1;
        r.Run.Cluster.ScaleOutGbps = -3;
        r.Run.Energy = new Energy { Pue = 0.9 };
        r.Run.Reliability = new Reliability { MtbfHoursPerAccelerator = 0 };
        var v = Violations(TrainingValidators.SubmitPlan, r);
        Assert.Equal(
            [
                "run.sequence_length", "run.cluster.scale_out_gbps", "run.reliability.mtbf_hours_per_accelerator",
                "run.energy.pue", "top_k",
            ],
            v.Select(x => x.Field));
        Assert.Equal("must be at least 1 (got 0.9)", Single(v, "run.energy.pue").Reason);
        Assert.Equal("must be 0–100 (got 101)", Single(v, "top_k").Reason);
    }

    [Theory]
    [InlineData(1.0, "must be at least 0 and below 1 (got 1)")]
    [InlineData(-0.2, "must be at least 0 and below 1 (got -0.2)")]
    public void Production_overhead_outside_0_to_1_is_named_under_run_reliability(double value, string reason)
    {
        var r = new EstimateTrainingRunRequest { Run = Run() };
        r.Run.Reliability = new Reliability { ProductionOverheadFraction = value };
        Assert.Equal(reason,
            Single(Violations(TrainingValidators.Estimate, r), "run.reliability.production_overhead_fraction").Reason);
    }

    [Fact]
    public void Missing_run_and_missing_cluster_name_their_fields()
    {
        Assert.Equal("run",
            Assert.Single(Violations(TrainingValidators.SubmitEstimate, new SubmitEstimateJobRequest())).Field);
        var r = new SubmitEstimateJobRequest { Run = Run() };
        r.Run.Cluster = null;
        Assert.Equal("is required: give accelerator and count",
            Single(Violations(TrainingValidators.SubmitEstimate, r), "run.cluster").Reason);
    }

    [Fact]
    public void Blank_accelerator_is_required_except_when_comparing_devices()
    {
        var r = new EstimateTrainingRunRequest { Run = Run() };
        r.Run.Cluster.Accelerator = " ";
        Single(Violations(TrainingValidators.Estimate, r), "run.cluster.accelerator");
        var compare = new CompareAcceleratorsRequest { Run = r.Run };
        compare.Accelerators.Add("h100-sxm");
        compare.Accelerators.Add("");
        Assert.Equal("accelerators[1]", Assert.Single(Violations(TrainingValidators.Compare, compare)).Field);
    }

    [Fact]
    public void Compare_needs_one_to_32_devices()
    {
        var none = new CompareAcceleratorsRequest { Run = Run() };
        Assert.Equal("needs at least one device id",
            Single(Violations(TrainingValidators.Compare, none), "accelerators").Reason);
        var many = new CompareAcceleratorsRequest { Run = Run() };
        many.Accelerators.Add(Enumerable.Repeat("h100-sxm", 33));
        Assert.Equal("at most 32 devices per call",
            Single(Violations(TrainingValidators.Compare, many), "accelerators").Reason);
    }

    [Fact]
    public void Parallelism_fields_are_named_under_run_parallelism()
    {
        var r = new EstimateTrainingRunRequest { Run = Run() };
        r.Run.Parallelism = new ParallelismPlan
        {
            TensorParallel = -2, ZeroStage = 4, Recompute = RecomputeMode.Selective, RecomputeNumLayers = 4,
        };
        var v = Violations(TrainingValidators.Estimate, r);
        Assert.Equal(
            ["run.parallelism.tensor_parallel", "run.parallelism.zero_stage", "run.parallelism.recompute_num_layers"],
            v.Select(x => x.Field));
        Assert.Equal("applies to RECOMPUTE_MODE_FULL only", v[2].Reason);
    }

    [Fact]
    public void Schedules_and_enums_outside_the_contract_are_named_with_their_index()
    {
        var r = new EstimateTrainingRunRequest { Run = Run() };
        r.Run.AllowedSchedules.Add([PipelineSchedule.OneFOneB, PipelineSchedule.Unspecified, (PipelineSchedule)9]);
        r.Run.Precision = (Precision)7;
        var v = Violations(TrainingValidators.Estimate, r);
        Assert.Equal(["run.precision", "run.allowed_schedules[1]", "run.allowed_schedules[2]"], v.Select(x => x.Field));
        Assert.Equal("unknown value 7", v[0].Reason);
    }

    [Fact]
    public void Global_batch_must_hold_a_sequence()
    {
        var r = new EstimateTrainingRunRequest { Run = Run() };
        r.Run.GlobalBatchTokens = 4096;
        Assert.Equal("must hold at least one sequence (8192 tokens)",
            Single(Violations(TrainingValidators.Estimate, r), "run.global_batch_tokens").Reason);
    }

    [Fact]
    public void Project_cost_takes_a_cost_or_a_run_and_names_the_runs_fields()
    {
        var both = new ProjectCostRequest { CostUsd = 5, Run = Run() };
        Assert.Equal("give cost_usd or run, not both",
            Single(Violations(TrainingValidators.ProjectCost, both), "cost_usd").Reason);
        Single(Violations(TrainingValidators.ProjectCost, new ProjectCostRequest { CostUsd = -1 }), "cost_usd");
        var badRun = new ProjectCostRequest { Run = Run(), Years = 51 };
        badRun.Run.Cluster.Count = 0;
        Assert.Equal(["run.cluster.count", "years"],
            Violations(TrainingValidators.ProjectCost, badRun).Select(x => x.Field));
    }

    [Fact]
    public void Domain_errors_nest_under_the_run_field()
    {
        var e = new InvalidFieldException("parallelism.data_parallel", "must divide").Under("run");
        Assert.Equal("run.parallelism.data_parallel", e.Field);
        Assert.Equal("run.cluster.accelerator",
            new NotFoundException("cluster.accelerator", "accelerator", "h9000").Under("run").Field);
        Assert.Equal("run.allowed_schedules[1]",
            new InvalidFieldException("allowed_schedules[1]", "bad").Under("run").Field);
    }

    [Fact]
    public void An_estimate_without_run_names_its_top_level_fields()
    {
        Assert.Equal(["model", "training_tokens", "sequence_length", "cluster"],
            Violations(TrainingValidators.Estimate, new EstimateTrainingRunRequest()).Select(v => v.Field));
        var r = new EstimateTrainingRunRequest
        {
            Model = Run().Model, TrainingTokens = 1_000_000_000_000, SequenceLength = 8192, Cluster = Run().Cluster,
            PricePerAcceleratorHourUsd = double.PositiveInfinity,
        };
        r.Cluster.Count = 0;
        Assert.Equal(["cluster.count", "price_per_accelerator_hour_usd"],
            Violations(TrainingValidators.Estimate, r).Select(v => v.Field));
    }

    [Fact]
    public void An_estimate_with_run_and_top_level_fields_names_run_first()
    {
        var r = new EstimateTrainingRunRequest { Run = Run(), Dropout = true };
        var v = Violations(TrainingValidators.Estimate, r);
        Assert.Equal(["run", "dropout"], v.Select(x => x.Field));
        Assert.Equal(EstimateTrainingRunRequestValidator.BothShapes, v[0].Reason);
    }
}
