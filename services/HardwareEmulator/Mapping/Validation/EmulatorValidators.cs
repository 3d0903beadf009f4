using FluentValidation;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.ServiceDefaults.Validation;
using HardwareEmulator.Mapping;
using Phase = Platform.Contracts.Emulator.V1.Phase;

namespace HardwareEmulator.Mapping.Validation;

// One validator per emulator request. They check the request's shape (required fields, ranges, enum values, finite
// numbers); whether a device exists, supports a dtype, holds a kernel's tensors, or a model's layout suits its heads
// and experts is the domain's check. The validators are stateless and thread-safe: the adapters use the static
// instances here.

/// <summary>The validators the emulator adapters run on each request.</summary>
public static class EmulatorValidators
{
    public static readonly ListDevicesRequestValidator ListDevices = new();
    public static readonly RegisterDeviceRequestValidator RegisterDevice = new();
    public static readonly RunKernelRequestValidator RunKernel = new();
    public static readonly ProfileModelRequestValidator ProfileModel = new();

    private static EstimateOpsRequestValidator? _estimateOps;

    /// <summary>
    /// The EstimateOps validator for a server that takes at most <paramref name="maxOpsPerRequest"/> ops per call.
    /// </summary>
    public static EstimateOpsRequestValidator EstimateOps(int maxOpsPerRequest)
    {
        var v = _estimateOps;
        if (v is null || v.MaxOpsPerRequest != maxOpsPerRequest)
            _estimateOps = v = new EstimateOpsRequestValidator(maxOpsPerRequest);
        return v;
    }

    /// <summary>The device a request runs on, by id (whether it exists is the catalog's answer).</summary>
    internal static void DeviceId<T>(AbstractValidator<T> v,
        System.Linq.Expressions.Expression<Func<T, string>> device) =>
        v.RuleFor(device).Must(d => !string.IsNullOrWhiteSpace(d))
            .WithMessage("is empty; give a device id such as 'h800'").ProtoName("device");

    /// <summary>A dtype the emulator knows; <paramref name="optional"/> where unspecified takes a default.</summary>
    internal static bool KnownDtype(Dtype d, bool optional) =>
        d == Dtype.Unspecified ? optional : ProtoEnums.IsDefined(d);

    internal static string DtypeMessage(Dtype d) =>
        d == Dtype.Unspecified ? "is required (e.g. DTYPE_BF16)" : $"unknown dtype {(int)d}";
}

/// <summary>A page of the catalog: page_size not negative (0 = the default), a page_token this server issued.</summary>
public sealed class ListDevicesRequestValidator : AbstractValidator<ListDevicesRequest>
{
    public ListDevicesRequestValidator()
    {
        RuleFor(x => x.Vendor).MaximumLength(DeviceValidator.MaxNameLength)
            .WithMessage((_, v) => $"is {v.Length:N0} characters; no vendor name is longer than "
                + $"{DeviceValidator.MaxNameLength}")
            .ProtoName("vendor");
        RuleFor(x => x.PageSize).GreaterThanOrEqualTo(0)
            .WithMessage((_, n) => $"must not be negative (got {n}; 0 means {DevicePageToken.DefaultPageSize}, "
                + $"at most {DevicePageToken.MaxPageSize:N0} are returned)")
            .ProtoName("page_size");
        RuleFor(x => x.PageToken).Must(t => DevicePageToken.TryDecode(t, out _))
            .WithMessage("is not a page token this server issued: pass next_page_token of the previous response "
                + "unchanged, or leave it empty for the first page")
            .ProtoName("page_token");
    }
}

public sealed class RegisterDeviceRequestValidator : AbstractValidator<RegisterDeviceRequest>
{
    public RegisterDeviceRequestValidator() =>
        RuleFor(x => x.Device).NotNull().WithMessage("is required").ProtoName("device")
            .SetValidator(new DeviceValidator());
}

/// <summary>
/// A whole model on one device: phase, batch and sequence, parallel degrees (0 means 1), number format.
/// </summary>
public sealed class ProfileModelRequestValidator : AbstractValidator<ProfileModelRequest>
{
    public ProfileModelRequestValidator()
    {
        EmulatorValidators.DeviceId(this, x => x.Device);
        RuleFor(x => x.Model).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("is required: give preset, hf_config_json or architecture")
            .Must(m => m.SourceCase != ModelSpec.SourceOneofCase.None)
            .WithMessage("is empty: give preset, hf_config_json or architecture")
            .ProtoName("model");
        RuleFor(x => x.Phase).Must(p => p is Phase.Prefill or Phase.Decode)
            .WithMessage("is required (PHASE_PREFILL or PHASE_DECODE)").ProtoName("phase");
        RuleFor(x => x.Batch).GreaterThan(0).WithMessage((_, b) => $"must be positive (got {b})").ProtoName("batch");
        RuleFor(x => x.SequenceLength).GreaterThan(0).WithMessage((_, s) => $"must be positive (got {s})")
            .ProtoName("sequence_length");
        Parallel(x => x.TensorParallel, "tensor_parallel");
        Parallel(x => x.ExpertParallel, "expert_parallel");
        Parallel(x => x.PipelineParallel, "pipeline_parallel");
        RuleFor(x => x.Dtype).Must(d => EmulatorValidators.KnownDtype(d, optional: true))
            .WithMessage((_, d) => EmulatorValidators.DtypeMessage(d))
            .ProtoName("dtype");
    }

    private void Parallel(System.Linq.Expressions.Expression<Func<ProfileModelRequest, int>> degree, string name) =>
        RuleFor(degree).GreaterThanOrEqualTo(0).WithMessage((_, v) => $"must not be negative (got {v}; 0 means 1)")
            .ProtoName(name);
}
