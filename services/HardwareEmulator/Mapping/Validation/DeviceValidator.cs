using System.Text.RegularExpressions;
using FluentValidation;
using HardwareEmulator.Domain.Devices;
using Platform.Contracts.Emulator.V1;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Validation;

namespace HardwareEmulator.Mapping.Validation;

/// <summary>
/// A device to register: id syntax, finite non-negative peaks with at least one positive, positive memory and links,
/// calibration fractions within (0, 1] (0 = the default). Whether the id is a built-in one is the catalog's check.
/// </summary>
public sealed partial class DeviceValidator : AbstractValidator<Device>
{
    public DeviceValidator()
    {
        RuleFor(x => x.Id).Must(id => Id().IsMatch(DeviceCatalog.Normalize(id ?? "")))
            .WithMessage((_, id) => $"'{PlatformException.Quote(id)}' is not a device id: 2-64 characters of "
                + "lowercase letters, digits, '.', '_' or '-', starting with a letter or digit")
            .ProtoName("id");
        RuleFor(x => x.PeakTflops).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("is required (dense TFLOPS per dtype)")
            .SetValidator(new DtypePeaksValidator())
            .Must(p => p.Bf16 > 0 || p.Fp16 > 0 || p.Fp8 > 0 || p.Fp32 > 0)
            .WithMessage("needs a positive peak for at least one of bf16, fp16, fp8, fp32")
            .ProtoName("peak_tflops");
        Positive(x => x.HbmGb, "hbm_gb");
        Positive(x => x.HbmTbps, "hbm_tbps");
        Positive(x => x.ScaleUpGbps, "scale_up_gbps");
        Positive(x => x.ScaleOutGbps, "scale_out_gbps");
        RuleFor(x => x.ComputeUnits).GreaterThan(0).WithMessage((_, c) => $"must be positive (SMs or cores; got {c})")
            .ProtoName("compute_units");
        NonNegative(x => x.L2Mb, "l2_mb");
        NonNegative(x => x.TdpWatts, "tdp_watts");
        NonNegative(x => x.ScaleUpLatencyUs, "scale_up_latency_us");
        NonNegative(x => x.ScaleOutLatencyUs, "scale_out_latency_us");
        NonNegative(x => x.PriceLowUsd, "price_low_usd");
        NonNegative(x => x.PriceMidUsd, "price_mid_usd");
        NonNegative(x => x.PriceListUsd, "price_list_usd");
        NonNegative(x => x.L2Tbps, "l2_tbps");
        RuleFor(x => x.ScaleUpDomain).GreaterThanOrEqualTo(0).WithMessage("must not be negative")
            .ProtoName("scale_up_domain");
        Fraction(x => x.MatmulEfficiencyBf16, "matmul_efficiency_bf16");
        Fraction(x => x.MatmulEfficiencyFp8, "matmul_efficiency_fp8");
        Fraction(x => x.MemoryEfficiency, "memory_efficiency");
        Fraction(x => x.ScaleUpEfficiency, "scale_up_efficiency");
        Fraction(x => x.ScaleOutEfficiency, "scale_out_efficiency");
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,63}$")]
    private static partial Regex Id();

    private void Positive(System.Linq.Expressions.Expression<Func<Device, double>> field, string name) =>
        RuleFor(field).Must(v => double.IsFinite(v) && v > 0)
            .WithMessage((_, v) => $"must be a positive number (got {v})").ProtoName(name);

    private void NonNegative(System.Linq.Expressions.Expression<Func<Device, double>> field, string name) =>
        RuleFor(field).Must(v => double.IsFinite(v) && v >= 0)
            .WithMessage((_, v) => $"must be a finite, non-negative number (got {v})").ProtoName(name);

    private void Fraction(System.Linq.Expressions.Expression<Func<Device, double>> field, string name) =>
        RuleFor(field).Must(v => double.IsFinite(v) && v >= 0 && v <= 1)
            .WithMessage((_, v) => $"must be within (0, 1], or 0 for the default (got {v})").ProtoName(name);
}

/// <summary>Dense peak TFLOPS per dtype: each finite and non-negative (0 = not supported).</summary>
public sealed class DtypePeaksValidator : AbstractValidator<DtypePeaks>
{
    public DtypePeaksValidator()
    {
        Peak(x => x.Fp64, "fp64");
        Peak(x => x.Fp32, "fp32");
        Peak(x => x.Tf32, "tf32");
        Peak(x => x.Bf16, "bf16");
        Peak(x => x.Fp16, "fp16");
        Peak(x => x.Fp8, "fp8");
        Peak(x => x.Int8, "int8");
    }

    private void Peak(System.Linq.Expressions.Expression<Func<DtypePeaks, double>> peak, string name) =>
        RuleFor(peak).Must(v => double.IsFinite(v) && v >= 0)
            .WithMessage((_, v) => $"must be a finite, non-negative TFLOPS figure (got {v})")
            .ProtoName(name);
}
