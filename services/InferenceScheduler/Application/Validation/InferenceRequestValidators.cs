using FluentValidation;
using FluentValidation.Results;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;
using Platform.ServiceDefaults.Validation;

namespace InferenceScheduler.Application.Validation;

// One validator per inference request. They check the request's shape (required fields, ranges, enum values, finite
// numbers, the per-run request limit); what needs the model, the accelerator or the emulator (layout against heads and
// experts, memory fit, SMs left for compute) is checked when the simulation is planned. The validators are stateless
// and thread-safe, so the service uses the static instances in InferenceValidators.

/// <summary>The validators the inference-scheduler adapter runs on each request.</summary>
public static class InferenceValidators
{
    public static readonly SimulateWorkloadRequestValidator Simulate = new();
    public static readonly StreamSimulationRequestValidator Stream = new();
    public static readonly PlanCapacityRequestValidator Capacity = new();
    public static readonly SimulateUploadedTraceRequestValidator UploadedHead = new();

    /// <summary>A finite number of at least zero.</summary>
    internal static bool NotNegative(double v) => v >= 0 && double.IsFinite(v);

    /// <summary>A finite number above zero.</summary>
    internal static bool Positive(double v) => v > 0 && double.IsFinite(v);

    /// <summary>
    /// The value is at most <paramref name="max"/> (<paramref name="unit"/> in the message); NaN, infinite and
    /// negative values are the preceding rule's to report.
    /// </summary>
    internal static IRuleBuilderOptions<T, double> AtMost<T>(this IRuleBuilderOptions<T, double> rule, double max,
        string unit) =>
        rule.Must(v => !double.IsFinite(v) || v <= max)
            .WithMessage((_, v) => $"must be at most {max:N0}{(unit.Length > 0 ? " " + unit : "")} (got {v})");
}

/// <summary>
/// A simulation request. <paramref name="uploaded"/>: the workload's rows arrive as chunks after it
/// (SimulateUploadedTrace), so the workload needs no source and only its rate multiplier and request cap are read.
/// </summary>
public sealed class SimulateWorkloadRequestValidator : AbstractValidator<SimulateWorkloadRequest>
{
    public SimulateWorkloadRequestValidator(bool uploaded = false)
    {
        RuleFor(x => x.Model).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("is required: give preset, hf_config_json or architecture")
            .Must(m => m.SourceCase != ModelSpec.SourceOneofCase.None)
            .WithMessage("is empty: give preset, hf_config_json or architecture")
            .ProtoName("model");
        RuleFor(x => x.Deployment).NotNull().WithMessage("is required").ProtoName("deployment")
            .SetValidator(new DeploymentValidator());
        if (uploaded)
            RuleFor(x => x.Workload).SetValidator(new WorkloadValidator(requireSource: false)).ProtoName("workload");
        else
            RuleFor(x => x.Workload).Cascade(CascadeMode.Stop)
                .NotNull().WithMessage("is required: give trace, synthetic, trace_csv or trace_jsonl")
                .Must(w => w.SourceCase != Workload.SourceOneofCase.None)
                .WithMessage("is empty: give trace, synthetic, trace_csv or trace_jsonl")
                .SetValidator(new WorkloadValidator(requireSource: true)).ProtoName("workload");
        RuleFor(x => x.Slo).SetValidator(new SloValidator()).ProtoName("slo");
        RuleFor(x => x.TimeModel).SetValidator(new TimeModelValidator()).ProtoName("time_model");
        RuleFor(x => x.TimelineIntervalSeconds).Must(InferenceValidators.NotNegative)
            .WithMessage("must not be negative").AtMost(1e7, "seconds")
            .ProtoName("timeline_interval_seconds");
    }
}

/// <summary>
/// A streamed simulation. The wrapped request's fields are reported by their own paths (<c>deployment.replicas</c>,
/// not <c>request.deployment.replicas</c>), as every other error of the simulation names them.
/// </summary>
public sealed class StreamSimulationRequestValidator : AbstractValidator<StreamSimulationRequest>
{
    public StreamSimulationRequestValidator() => RuleFor(x => x.Request).NotNull().WithMessage("is required")
        .ProtoName("request");

    public override ValidationResult Validate(ValidationContext<StreamSimulationRequest> context)
    {
        var result = base.Validate(context);
        if (context.InstanceToValidate.Request is { } inner)
            result.Errors.AddRange(InferenceValidators.Simulate.Validate(inner).Errors);
        return result;
    }
}

/// <summary>
/// The first message of SimulateUploadedTrace: the simulation request (its fields reported by their own paths, as in
/// <see cref="StreamSimulationRequestValidator"/>) and the format of the chunks that follow.
/// </summary>
public sealed class SimulateUploadedTraceRequestValidator : AbstractValidator<SimulateUploadedTraceRequest>
{
    private static readonly SimulateWorkloadRequestValidator Inner = new(uploaded: true);

    public SimulateUploadedTraceRequestValidator()
    {
        RuleFor(x => x.PartCase).Equal(SimulateUploadedTraceRequest.PartOneofCase.Request)
            .WithMessage("the first message must carry the simulation request").ProtoName("request");
        RuleFor(x => x.Format).Must(f => Format(f) is "" or "csv" or "jsonl")
            .WithMessage("must be \"csv\" or \"jsonl\"").ProtoName("format");
    }

    /// <summary>
    /// The format as the service reads it: trimmed, lower case; empty = detected from the first character.
    /// </summary>
    public static string Format(string format) => format.Trim().ToLowerInvariant();

    public override ValidationResult Validate(ValidationContext<SimulateUploadedTraceRequest> context)
    {
        var result = base.Validate(context);
        if (context.InstanceToValidate.PartCase == SimulateUploadedTraceRequest.PartOneofCase.Request)
            result.Errors.AddRange(Inner.Validate(context.InstanceToValidate.Request).Errors);
        return result;
    }
}

/// <summary>Latency targets in milliseconds; 0 = no target.</summary>
public sealed class SloValidator : AbstractValidator<Slo>
{
    public SloValidator()
    {
        RuleFor(x => x.TtftMs).Must(InferenceValidators.NotNegative).WithMessage("must not be negative")
            .AtMost(1e9, "ms")
            .ProtoName("ttft_ms");
        RuleFor(x => x.TpotMs).Must(InferenceValidators.NotNegative).WithMessage("must not be negative")
            .AtMost(1e9, "ms")
            .ProtoName("tpot_ms");
        RuleFor(x => x.E2EMs).Must(InferenceValidators.NotNegative).WithMessage("must not be negative")
            .AtMost(1e9, "ms")
            .ProtoName("e2e_ms");
    }
}

/// <summary>A constant step-time model, or the emulator's profile with a host overhead per step.</summary>
public sealed class TimeModelValidator : AbstractValidator<TimeModel>
{
    /// <summary>Longest decode step or per-step overhead, seconds.</summary>
    public const double MaxStepSeconds = 3600;

    public TimeModelValidator()
    {
        RuleFor(x => x.Constant).SetValidator(new ConstantTimeModelValidator()).ProtoName("constant");
        RuleFor(x => x.Constant)
            .Must(c => c.PrefillSecondsPerToken + c.DecodeSecondsPerStep + c.StepOverheadSeconds > 0)
            .When(x => x.Constant is { } c && InferenceValidators.NotNegative(c.PrefillSecondsPerToken)
                && InferenceValidators.NotNegative(c.DecodeSecondsPerStep)
                && InferenceValidators.NotNegative(c.StepOverheadSeconds))
            .WithMessage("needs a positive prefill, decode or overhead time").ProtoName("constant");
        RuleFor(x => x.Emulator.StepOverheadSeconds).Must(InferenceValidators.NotNegative)
            .WithMessage("must not be negative").AtMost(MaxStepSeconds, "seconds")
            .When(x => x.Emulator is not null)
            .ProtoName("emulator.step_overhead_seconds");
        RuleFor(x => x.Emulator.OverlapSchedule).Must(ProtoEnums.IsDefined)
            .WithMessage((_, s) => $"unknown value {(int)s}: use OVERLAP_SCHEDULE_IDEAL or OVERLAP_SCHEDULE_TWO_BATCH")
            .When(x => x.Emulator is not null)
            .ProtoName("emulator.overlap_schedule");
    }
}

public sealed class ConstantTimeModelValidator : AbstractValidator<ConstantTimeModel>
{
    public ConstantTimeModelValidator()
    {
        RuleFor(x => x.PrefillSecondsPerToken).Must(InferenceValidators.NotNegative).WithMessage("must not be negative")
            .AtMost(60, "seconds")
            .ProtoName("prefill_seconds_per_token");
        RuleFor(x => x.DecodeSecondsPerStep).Must(InferenceValidators.NotNegative).WithMessage("must not be negative")
            .AtMost(TimeModelValidator.MaxStepSeconds, "seconds")
            .ProtoName("decode_seconds_per_step");
        RuleFor(x => x.StepOverheadSeconds).Must(InferenceValidators.NotNegative).WithMessage("must not be negative")
            .AtMost(TimeModelValidator.MaxStepSeconds, "seconds")
            .ProtoName("step_overhead_seconds");
    }
}
