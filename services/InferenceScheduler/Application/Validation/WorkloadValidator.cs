using FluentValidation;
using InferenceScheduler.Domain.Workloads;
using Platform.Contracts.Inference.V1;
using Platform.ServiceDefaults.Validation;

namespace InferenceScheduler.Application.Validation;

/// <summary>
/// A workload: one source (built-in trace, inline trace, synthetic spec), its rate multiplier and request cap. Whether
/// a trace exists and its rows parse, and whether every request fits the deployment, is checked when it is read.
/// </summary>
public sealed class WorkloadValidator : AbstractValidator<Workload>
{
    /// <param name="requireSource">False where the rows are uploaded separately (SimulateUploadedTrace).</param>
    public WorkloadValidator(bool requireSource = true)
    {
        if (requireSource)
        {
            RuleFor(x => x.Trace).Must(t => !string.IsNullOrWhiteSpace(t))
                .When(x => x.SourceCase == Workload.SourceOneofCase.Trace)
                .WithMessage("is empty").ProtoName("trace");
            RuleFor(x => x.Synthetic).SetValidator(new SyntheticWorkloadValidator()).ProtoName("synthetic");
        }
        RuleFor(x => x.RateMultiplier).Must(r => r == 0 || InferenceValidators.Positive(r))
            .WithMessage("must be positive").AtMost(1e6, "times").ProtoName("rate_multiplier");
        RuleFor(x => x.MaxRequests).GreaterThanOrEqualTo(0).WithMessage("must not be negative")
            .ProtoName("max_requests");
    }
}

/// <summary>
/// A synthetic workload: arrival process and rate, how many requests (or for how long), prompt and output lengths.
/// </summary>
public sealed class SyntheticWorkloadValidator : AbstractValidator<SyntheticWorkload>
{
    public SyntheticWorkloadValidator()
    {
        RuleFor(x => x.Arrival).Must(a => a != Arrival.Unspecified && ProtoEnums.IsDefined(a))
            .WithMessage("is required (ARRIVAL_POISSON, ARRIVAL_GAMMA, ARRIVAL_CONSTANT)").ProtoName("arrival");
        RuleFor(x => x.RatePerSecond).Must(InferenceValidators.Positive).WithMessage("must be positive")
            .AtMost(1e6, "requests per second")
            .ProtoName("rate_per_second");
        RuleFor(x => x.Requests).Cascade(CascadeMode.Stop)
            .GreaterThanOrEqualTo(0).WithMessage("must be positive")
            .Must((x, n) => n > 0 || x.DurationSeconds != 0).WithMessage("give requests or duration_seconds (positive)")
            .LessThanOrEqualTo(WorkloadSource.MaxRequestsPerRun)
            .WithMessage((_, n) => $"{n} requests; one run takes at most {WorkloadSource.MaxRequestsPerRun}")
            .AsLimit((_, n) => n, WorkloadSource.MaxRequestsPerRun)
            .ProtoName("requests");
        RuleFor(x => x.DurationSeconds).Must(InferenceValidators.NotNegative).WithMessage("must be positive")
            .AtMost(1e7, "seconds")
            .ProtoName("duration_seconds");
        RuleFor(x => x.PromptTokens).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("is required (fixed, uniform, lognormal, exponential_mean or empirical_trace)")
            .Must(LengthDistributionValidator.HasKind).WithMessage(LengthDistributionValidator.EmptyMessage)
            .SetValidator(LengthDistributionValidator.Instance).ProtoName("prompt_tokens");
        RuleFor(x => x.OutputTokens).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("is required (fixed, uniform, lognormal, exponential_mean or empirical_trace)")
            .Must(LengthDistributionValidator.HasKind).WithMessage(LengthDistributionValidator.EmptyMessage)
            .SetValidator(LengthDistributionValidator.Instance).ProtoName("output_tokens");
        RuleFor(x => x.Burstiness).Must(b => b == 0 || InferenceValidators.Positive(b))
            .WithMessage("must be positive (0 = 1)").AtMost(1000, "(coefficient of variation)")
            .ProtoName("burstiness");
        RuleFor(x => x.PrefixSharing.Groups).GreaterThanOrEqualTo(0).When(x => x.PrefixSharing is not null)
            .WithMessage("must not be negative").ProtoName("prefix_sharing.groups");
        RuleFor(x => x.PrefixSharing.SharedFraction).InclusiveBetween(0, 1).When(x => x.PrefixSharing is not null)
            .WithMessage("must be within [0, 1]").ProtoName("prefix_sharing.shared_fraction");
    }
}

/// <summary>A length distribution of prompts or outputs, in tokens; <c>max</c> caps it (0 = no cap).</summary>
public sealed class LengthDistributionValidator : AbstractValidator<LengthDistribution>
{
    internal static readonly LengthDistributionValidator Instance = new();
    internal const string EmptyMessage =
        "is empty: give fixed, uniform, lognormal, exponential_mean or empirical_trace";

    /// <summary>A distribution names its kind; an empty one is reported on the field that holds it.</summary>
    internal static bool HasKind(LengthDistribution d) => d.KindCase != LengthDistribution.KindOneofCase.None;

    public LengthDistributionValidator()
    {
        RuleFor(x => x.Max).GreaterThanOrEqualTo(0).WithMessage("must not be negative").ProtoName("max");
        RuleFor(x => x.Fixed).GreaterThan(0).When(x => x.KindCase == LengthDistribution.KindOneofCase.Fixed)
            .WithMessage("must be positive").ProtoName("fixed");
        RuleFor(x => x.Uniform).Must(u => u.Min > 0 && u.Max >= u.Min).When(x => x.Uniform is not null)
            .WithMessage("needs 0 < min <= max").ProtoName("uniform");
        RuleFor(x => x.Lognormal.Mean).Must(m => m >= 1 && double.IsFinite(m))
            .WithMessage("must be at least 1").AtMost(1e9, "tokens").When(x => x.Lognormal is not null)
            .ProtoName("lognormal.mean");
        RuleFor(x => x.Lognormal.Sigma).Must(InferenceValidators.NotNegative)
            .WithMessage("must not be negative").AtMost(10, "").When(x => x.Lognormal is not null)
            .ProtoName("lognormal.sigma");
        RuleFor(x => x.ExponentialMean).Must(m => m >= 1 && double.IsFinite(m)).WithMessage("must be at least 1")
            .AtMost(1e9, "tokens").When(x => x.KindCase == LengthDistribution.KindOneofCase.ExponentialMean)
            .ProtoName("exponential_mean");
        RuleFor(x => x.EmpiricalTrace).Must(t => !string.IsNullOrWhiteSpace(t))
            .When(x => x.KindCase == LengthDistribution.KindOneofCase.EmpiricalTrace).WithMessage("is empty")
            .ProtoName("empirical_trace");
    }
}
