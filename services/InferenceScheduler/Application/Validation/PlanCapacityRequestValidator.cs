using FluentValidation;
using FluentValidation.Results;
using InferenceScheduler.Domain.Capacity;
using InferenceScheduler.Domain.Serving;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;
using Platform.ServiceDefaults.Validation;

namespace InferenceScheduler.Application.Validation;

/// <summary>
/// A capacity plan's shape: model and workload as a simulation's, the target rate, attainment, candidate lists and
/// their values, the accelerator cap and prices, and the template deployment's own fields. Which accelerators exist,
/// which layouts suit the model and how much the plan may simulate is checked when it is planned.
/// </summary>
public sealed class PlanCapacityRequestValidator : AbstractValidator<PlanCapacityRequest>
{
    public const double MaxTargetRequestsPerSecond = 1e6;
    private static readonly DeploymentValidator Template = new();

    public PlanCapacityRequestValidator()
    {
        RuleFor(x => x.Model).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("is required: give preset, hf_config_json or architecture")
            .Must(m => m.SourceCase != ModelSpec.SourceOneofCase.None)
            .WithMessage("is empty: give preset, hf_config_json or architecture")
            .ProtoName("model");
        RuleFor(x => x.Workload).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("is required: give trace, synthetic, trace_csv or trace_jsonl")
            .Must(w => w.SourceCase != Workload.SourceOneofCase.None)
            .WithMessage("is empty: give trace, synthetic, trace_csv or trace_jsonl")
            .SetValidator(new WorkloadValidator(requireSource: true)).ProtoName("workload");
        RuleFor(x => x.TargetRequestsPerSecond).Must(InferenceValidators.NotNegative)
            .WithMessage("must be a finite number of requests per second, at least 0 (0 = the workload's own rate)")
            .AtMost(MaxTargetRequestsPerSecond, "requests per second").ProtoName("target_requests_per_second");
        RuleFor(x => x.Slo).SetValidator(new SloValidator()).ProtoName("slo");
        RuleFor(x => x.SloAttainment).Must(a => a == 0 || (a > 0 && a <= 1))
            .WithMessage((_, a) => $"must be in (0, 1], or 0 for {CapacityLimits.DefaultAttainment} (got {a})")
            .ProtoName("slo_attainment");
        RuleFor(x => x.Candidates).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("is required: give at least the accelerators to try")
            .SetValidator(new CapacityCandidatesValidator()).ProtoName("candidates");
        RuleFor(x => x.MaxAccelerators).InclusiveBetween(0, CapacityLimits.MaxAccelerators)
            .WithMessage((_, m) => $"must be 1 to {CapacityLimits.MaxAccelerators:N0}, or 0 for " +
                                   $"{CapacityLimits.DefaultMaxAccelerators} (got {m})")
            .ProtoName("max_accelerators");
        RuleForEach(x => x.AcceleratorHourUsd)
            .Must(p => !string.IsNullOrWhiteSpace(p.Key) && InferenceValidators.NotNegative(p.Value) && p.Value <= 1e6)
            .WithMessage((_, p) => $"'{p.Key}': a price must be 0 to 1e6 USD per hour for a named accelerator " +
                                   $"(got {p.Value})")
            .ProtoName("accelerator_hour_usd");
        RuleFor(x => x.TimeModel).SetValidator(new TimeModelValidator()).ProtoName("time_model");
    }

    /// <summary>Adds the template deployment's field errors (its accelerator is the search's, not required).
    /// </summary>
    public override ValidationResult Validate(ValidationContext<PlanCapacityRequest> context)
    {
        var result = base.Validate(context);
        if (context.InstanceToValidate.Deployment is { } template)
        {
            var copy = template.Clone();
            copy.Accelerator = "template";
            foreach (var e in Template.Validate(copy).Errors)
            {
                e.PropertyName = "deployment." + e.PropertyName;
                result.Errors.Add(e);
            }
        }
        return result;
    }
}

/// <summary>The candidate lists: accelerators required, every value of a list in range, lists bounded.</summary>
public sealed class CapacityCandidatesValidator : AbstractValidator<CapacityCandidates>
{
    public CapacityCandidatesValidator()
    {
        int maxDegree = Parallelism.MaxAcceleratorsPerInstance;
        RuleFor(x => x.Accelerators).Must(a => a.Count > 0)
            .WithMessage("is empty: give at least one accelerator id (e.g. \"h100-sxm\")").ProtoName("accelerators");
        RuleForEach(x => x.Accelerators).Must(a => !string.IsNullOrWhiteSpace(a) && a.Length <= 128)
            .WithMessage("must be an accelerator id (1 to 128 characters)").ProtoName("accelerators");
        Degrees(x => x.TensorParallel, "tensor_parallel", maxDegree);
        Degrees(x => x.PipelineParallel, "pipeline_parallel", maxDegree);
        Degrees(x => x.ExpertParallel, "expert_parallel", maxDegree);
        Degrees(x => x.DataParallel, "data_parallel", maxDegree);
        Degrees(x => x.MaxNumSeqs, "max_num_seqs", 1_000_000, zeroAllowed: true);
        RuleForEach(x => x.MaxNumBatchedTokens).InclusiveBetween(0, DeploymentValidator.MaxBatchedTokens)
            .WithMessage($"must be 1 to {DeploymentValidator.MaxBatchedTokens}, or 0 for the engine default")
            .ProtoName("max_num_batched_tokens");
        RuleForEach(x => x.Disaggregation)
            .Must(r => (r.Prefill == 0 && r.Decode == 0)
                || (r.Prefill is >= 1 and <= 1024 && r.Decode is >= 1 and <= 1024))
            .WithMessage("prefill and decode must both be 1 to 1,024 instances, or both 0 for colocated")
            .ProtoName("disaggregation");
        RuleForEach(x => x.Disaggregation)
            .Must(r => r.PrefillAccelerator.Length <= 128 && r.DecodeAccelerator.Length <= 128
                && (r.Prefill > 0 || (r.PrefillAccelerator.Length == 0 && r.DecodeAccelerator.Length == 0)))
            .WithMessage("pool accelerators are ids of at most 128 characters, for disaggregated units only")
            .ProtoName("disaggregation");
        RuleForEach(x => x.Disaggregation)
            .Must(r => r.PrefillDataParallel is >= 0 and <= Parallelism.MaxAcceleratorsPerInstance
                && r.DecodeDataParallel is >= 0 and <= Parallelism.MaxAcceleratorsPerInstance
                && (r.Prefill > 0 || (r.PrefillDataParallel == 0 && r.DecodeDataParallel == 0)))
            .WithMessage($"prefill_data_parallel and decode_data_parallel must be 0 (the candidate's data_parallel) " +
                         $"or 1 to {Parallelism.MaxAcceleratorsPerInstance:N0}, for disaggregated units only")
            .ProtoName("disaggregation");
        Bounded(x => x.Accelerators, "accelerators");
        Bounded(x => x.TensorParallel, "tensor_parallel");
        Bounded(x => x.PipelineParallel, "pipeline_parallel");
        Bounded(x => x.ExpertParallel, "expert_parallel");
        Bounded(x => x.DataParallel, "data_parallel");
        Bounded(x => x.MaxNumSeqs, "max_num_seqs");
        Bounded(x => x.MaxNumBatchedTokens, "max_num_batched_tokens");
        Bounded(x => x.Disaggregation, "disaggregation");
    }

    private void Bounded<TItem>(System.Linq.Expressions.Expression<Func<CapacityCandidates, ICollection<TItem>>> list,
        string name) =>
        RuleFor(list).Must(l => l.Count <= CapacityLimits.MaxListValues)
            .WithMessage((_, l) => $"holds {l.Count} values; a list holds at most {CapacityLimits.MaxListValues}")
            .ProtoName(name);

    private void Degrees(System.Linq.Expressions.Expression<Func<CapacityCandidates, IEnumerable<int>>> list,
        string name, int max, bool zeroAllowed = false) =>
        RuleForEach(list).InclusiveBetween(zeroAllowed ? 0 : 1, max)
            .WithMessage((_, v) => $"must be {(zeroAllowed ? "0 (the engine default) or " : "")}1 to {max:N0} " +
                                   $"(got {v})")
            .ProtoName(name);
}
