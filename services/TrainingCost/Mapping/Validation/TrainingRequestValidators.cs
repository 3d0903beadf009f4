using FluentValidation;
using FluentValidation.Results;
using Platform.Contracts.Training.V1;
using Platform.ServiceDefaults.Validation;

namespace TrainingCost.Mapping.Validation;

// One validator per training request. Each nests the run's rules under "run"; the validators are stateless
// and thread-safe, so the service uses the static instances in TrainingValidators.

/// <summary>The validators the training-cost adapter runs on each request.</summary>
public static class TrainingValidators
{
    public static readonly TrainingRunSpecValidator Run = new();
    public static readonly EstimateTrainingRunRequestValidator Estimate = new();
    public static readonly PlanParallelismRequestValidator Plan = new();
    public static readonly CompareAcceleratorsRequestValidator Compare = new();
    public static readonly ProjectCostRequestValidator ProjectCost = new();
    public static readonly SubmitEstimateJobRequestValidator SubmitEstimate = new();
    public static readonly SubmitPlanJobRequestValidator SubmitPlan = new();
    public static readonly CountFlopsRequestValidator CountFlops = new();
    public static readonly ComputeOptimalRequestValidator ComputeOptimal = new();

    /// <summary>Rules of <c>top_k</c> (plans to return; 0 = 5).</summary>
    internal static void TopK<T>(AbstractValidator<T> v, System.Linq.Expressions.Expression<Func<T, int>> topK) =>
        v.RuleFor(topK).InclusiveBetween(0, 100).WithMessage((_, k) => $"must be 0–100 (got {k})").ProtoName("top_k");

    /// <summary>Rules of the required <c>run</c> field.</summary>
    internal static void RunField<T>(AbstractValidator<T> v,
        System.Linq.Expressions.Expression<Func<T, TrainingRunSpec>> run, TrainingRunSpecValidator runValidator) =>
        v.RuleFor(run).Cascade(CascadeMode.Stop).NotNull()
            .WithMessage("is required: give model, training_tokens, sequence_length and cluster")
            .ProtoName("run").SetValidator(runValidator);
}

/// <summary>
/// The run either field by field at the top level (errors name <c>training_tokens</c>) or as <c>run</c> (errors
/// name <c>run.training_tokens</c>). Both at once is refused naming <c>run</c>, then each top-level field given
/// with it. A request with neither is checked as the top-level shape, so it names the required fields.
/// </summary>
public sealed class EstimateTrainingRunRequestValidator : AbstractValidator<EstimateTrainingRunRequest>
{
    public const string BothShapes = "give the run either as run or as the top-level fields, not both";

    public EstimateTrainingRunRequestValidator()
    {
        RuleFor(x => x).Custom((x, context) =>
        {
            var topLevel = EstimateRequestShape.TopLevelFields(x);
            if (x.Run is not null && topLevel.Count > 0)
            {
                context.AddFailure(new ValidationFailure(TrainingProtoMapping.RunField, BothShapes));
                foreach (var field in topLevel)
                    context.AddFailure(new ValidationFailure(field, $"conflicts with run: {BothShapes}"));
            }
            else if (x.Run is null)
            {
                foreach (var failure in TrainingValidators.Run.Validate(EstimateRequestShape.TopLevelRun(x)).Errors)
                    context.AddFailure(failure);
            }
        });
        RuleFor(x => x.Run).SetValidator(TrainingValidators.Run)
            .When(x => !EstimateRequestShape.HasTopLevelFields(x)).ProtoName("run");
    }
}

public sealed class PlanParallelismRequestValidator : AbstractValidator<PlanParallelismRequest>
{
    public PlanParallelismRequestValidator()
    {
        TrainingValidators.RunField(this, x => x.Run, TrainingValidators.Run);
        TrainingValidators.TopK(this, x => x.TopK);
    }
}

public sealed class CompareAcceleratorsRequestValidator : AbstractValidator<CompareAcceleratorsRequest>
{
    public const int MaxDevices = 32;

    public CompareAcceleratorsRequestValidator()
    {
        // run.cluster.accelerator is ignored: the devices are listed in accelerators.
        TrainingValidators.RunField(this, x => x.Run, new TrainingRunSpecValidator(requireAccelerator: false));
        RuleFor(x => x.Accelerators).Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("needs at least one device id")
            .Must(a => a.Count <= MaxDevices).WithMessage($"at most {MaxDevices} devices per call")
            .ProtoName("accelerators");
        RuleForEach(x => x.Accelerators).Must(a => !string.IsNullOrWhiteSpace(a))
            .WithMessage("is required, e.g. 'h800'").ProtoName("accelerators");
    }
}

public sealed class ProjectCostRequestValidator : AbstractValidator<ProjectCostRequest>
{
    public ProjectCostRequestValidator()
    {
        RuleFor(x => x.CostUsd)
            .Must(c => c == 0).When(x => x.Run is not null, ApplyConditionTo.CurrentValidator)
            .WithMessage("give cost_usd or run, not both")
            .Must(c => c > 0 && double.IsFinite(c)).When(x => x.Run is null, ApplyConditionTo.CurrentValidator)
            .WithMessage(x => $"must be positive, or give run (got {x.CostUsd})")
            .Must(c => !double.IsFinite(c) || c <= MaxCostUsd)
            .WithMessage(x => $"must be at most 1e15 USD (got {x.CostUsd})")
            .ProtoName("cost_usd");
        RuleFor(x => x.Run).SetValidator(TrainingValidators.Run).ProtoName("run");
        RuleFor(x => x.Years).InclusiveBetween(0, 50).WithMessage(x => $"must be 1–50 (got {x.Years})")
            .ProtoName("years");
        RuleFor(x => x.HardwareDoublingYears).Must(ZeroOrPositive)
            .WithMessage(x => $"must be positive (got {x.HardwareDoublingYears})")
            .Must(InTrendRange).WithMessage(x => $"must be 0.1–1,000 years (got {x.HardwareDoublingYears})")
            .ProtoName("hardware_doubling_years");
        RuleFor(x => x.AlgorithmicHalvingYears).Must(ZeroOrPositive)
            .WithMessage(x => $"must be positive (got {x.AlgorithmicHalvingYears})")
            .Must(InTrendRange).WithMessage(x => $"must be 0.1–1,000 years (got {x.AlgorithmicHalvingYears})")
            .ProtoName("algorithmic_halving_years");
        RuleFor(x => x.PointsPerYear).InclusiveBetween(0, 12)
            .WithMessage(x => $"must be 1–12 (got {x.PointsPerYear})").ProtoName("points_per_year");
    }

    /// <summary>Highest cost to project, USD.</summary>
    public const double MaxCostUsd = 1e15;

    /// <summary>0 takes the default; anything else must be a positive number.</summary>
    private static bool ZeroOrPositive(double v) => v == 0 || (v > 0 && double.IsFinite(v));

    /// <summary>A doubling or halving time of 0.1–1,000 years (shorter ones overflow a 50-year projection).</summary>
    private static bool InTrendRange(double v) => v == 0 || (v >= 0.1 && v <= 1000);
}

public sealed class SubmitEstimateJobRequestValidator : AbstractValidator<SubmitEstimateJobRequest>
{
    public SubmitEstimateJobRequestValidator() => TrainingValidators.RunField(this, x => x.Run, TrainingValidators.Run);
}

public sealed class SubmitPlanJobRequestValidator : AbstractValidator<SubmitPlanJobRequest>
{
    public SubmitPlanJobRequestValidator()
    {
        TrainingValidators.RunField(this, x => x.Run, TrainingValidators.Run);
        TrainingValidators.TopK(this, x => x.TopK);
    }
}

public sealed class CountFlopsRequestValidator : AbstractValidator<CountFlopsRequest>
{
    public CountFlopsRequestValidator()
    {
        RuleFor(x => x.Model).NotNull().WithMessage("is required: give preset, hf_config_json or architecture")
            .ProtoName("model");
        RuleFor(x => x.SequenceLength).GreaterThan(0).WithMessage(x => $"must be positive (got {x.SequenceLength})")
            .LessThanOrEqualTo(TrainingRunSpecValidator.MaxSequenceLength)
            .WithMessage(x => $"must be at most {TrainingRunSpecValidator.MaxSequenceLength:N0} " +
                $"(got {x.SequenceLength:N0})")
            .ProtoName("sequence_length");
        RuleFor(x => x.Recompute).Must(ProtoEnums.IsDefined).WithMessage(x => $"unknown value {(int)x.Recompute}")
            .ProtoName("recompute");
    }
}

public sealed class ComputeOptimalRequestValidator : AbstractValidator<ComputeOptimalRequest>
{
    /// <summary>Largest compute budget (10^32 FLOPs; today's largest runs use about 10^26).</summary>
    public const double MaxComputeBudgetFlops = 1e32;

    /// <summary>Most parameters (10^15).</summary>
    public const double MaxParameters = 1e15;

    public ComputeOptimalRequestValidator()
    {
        RuleFor(x => x.ComputeBudgetFlops).Cascade(CascadeMode.Stop)
            .Must((x, budget) => (budget != 0) != (x.Parameters != 0))
            .WithMessage("give exactly one of compute_budget_flops or parameters")
            .Must(b => b == 0 || (b > 0 && double.IsFinite(b)))
            .WithMessage(x => $"must be positive (got {x.ComputeBudgetFlops})")
            .Must(b => b <= MaxComputeBudgetFlops)
            .WithMessage(x => $"must be at most 1e32 FLOPs (got {x.ComputeBudgetFlops})")
            .ProtoName("compute_budget_flops");
        RuleFor(x => x.Parameters).Cascade(CascadeMode.Stop)
            .Must((x, p) => x.ComputeBudgetFlops == 0 || p == 0)
            .WithMessage("give exactly one of compute_budget_flops or parameters")
            .Must(p => p == 0 || (p > 0 && double.IsFinite(p)))
            .WithMessage(x => $"must be positive (got {x.Parameters})")
            .Must(p => p <= MaxParameters).WithMessage(x => $"must be at most 1e15 (got {x.Parameters})")
            .ProtoName("parameters");
    }
}
