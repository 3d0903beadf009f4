using System.Text;
using System.Text.RegularExpressions;
using FluentValidation;
using HardwareEmulator.Domain.Devices;
using Platform.Contracts.Emulator.V1;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Validation;

namespace HardwareEmulator.Mapping.Validation;

/// <summary>
/// A device to register: id syntax, bounded text fields, finite non-negative peaks with at least one positive,
/// positive memory and links, every figure at most <see cref="MaxFigure"/>, calibration fractions within (0, 1]
/// (0 = the default). Whether the id is a built-in one, and the custom-device caps, are the catalog's checks.
/// </summary>
public sealed partial class DeviceValidator : AbstractValidator<Device>
{
    /// <summary>Longest name and vendor, in UTF-8 bytes.</summary>
    public const int MaxNameLength = 128;

    /// <summary>Longest source and notes, in UTF-8 bytes. With the name limits this keeps a device under 3 KB on the
    /// wire, so a full ListDevices page stays under the 4 MB a client receives by default.</summary>
    public const int MaxTextLength = 1024;

    /// <summary>Largest numeric figure (TFLOPS, GB, GB/s, W, USD, µs): far beyond any accelerator, so arithmetic on
    /// it stays finite.</summary>
    public const double MaxFigure = 1e9;

    /// <summary>Largest compute-unit count and scale-up domain.</summary>
    public const int MaxCount = 1_000_000;

    public DeviceValidator()
    {
        RuleFor(x => x.Id).Must(id => Id().IsMatch(DeviceCatalog.Normalize(id ?? "")))
            .WithMessage((_, id) => $"'{PlatformException.Quote(id)}' is not a device id: 2-64 characters of "
                + "lowercase letters, digits, '.', '_' or '-', starting with a letter or digit")
            .ProtoName("id");
        Text(x => x.Name, "name", MaxNameLength);
        Text(x => x.Vendor, "vendor", MaxNameLength);
        Text(x => x.Source, "source", MaxTextLength);
        Text(x => x.Notes, "notes", MaxTextLength);
        RuleFor(x => x.Year).Must(y => y == 0 || y is >= 1950 and <= 2100)
            .WithMessage((_, y) => $"must be within 1950..2100, or 0 when unknown (got {y})").ProtoName("year");
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
        RuleFor(x => x.ComputeUnits).InclusiveBetween(1, MaxCount)
            .WithMessage((_, c) => $"must be within 1..{MaxCount:N0} (SMs or cores; got {c})")
            .ProtoName("compute_units");
        NonNegative(x => x.L2Mb, "l2_mb");
        NonNegative(x => x.TdpWatts, "tdp_watts");
        NonNegative(x => x.ScaleUpLatencyUs, "scale_up_latency_us");
        NonNegative(x => x.ScaleOutLatencyUs, "scale_out_latency_us");
        NonNegative(x => x.PriceLowUsd, "price_low_usd");
        NonNegative(x => x.PriceMidUsd, "price_mid_usd");
        NonNegative(x => x.PriceListUsd, "price_list_usd");
        NonNegative(x => x.L2Tbps, "l2_tbps");
        RuleFor(x => x.ScaleUpDomain).InclusiveBetween(0, MaxCount)
            .WithMessage((_, n) => $"must be within 0..{MaxCount:N0} (0 means 8; got {n})")
            .ProtoName("scale_up_domain");
        Fraction(x => x.MatmulEfficiencyBf16, "matmul_efficiency_bf16");
        Fraction(x => x.MatmulEfficiencyFp8, "matmul_efficiency_fp8");
        Fraction(x => x.MemoryEfficiency, "memory_efficiency");
        Fraction(x => x.ScaleUpEfficiency, "scale_up_efficiency");
        Fraction(x => x.ScaleOutEfficiency, "scale_out_efficiency");
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,63}$")]
    private static partial Regex Id();

    private void Text(System.Linq.Expressions.Expression<Func<Device, string>> field, string name, int max) =>
        RuleFor(field).Must(v => v is null || (v.Length <= max && Encoding.UTF8.GetByteCount(v) <= max))
            .WithMessage((_, v) => $"is {Encoding.UTF8.GetByteCount(v):N0} bytes of UTF-8; at most {max:N0}")
            .ProtoName(name);

    private void Positive(System.Linq.Expressions.Expression<Func<Device, double>> field, string name) =>
        RuleFor(field).Must(v => double.IsFinite(v) && v > 0 && v <= MaxFigure)
            .WithMessage((_, v) => $"must be a positive number of at most {MaxFigure:G} (got {v})").ProtoName(name);

    private void NonNegative(System.Linq.Expressions.Expression<Func<Device, double>> field, string name) =>
        RuleFor(field).Must(v => double.IsFinite(v) && v >= 0 && v <= MaxFigure)
            .WithMessage((_, v) => $"must be a finite, non-negative number of at most {MaxFigure:G} (got {v})")
            .ProtoName(name);

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
        RuleFor(peak).Must(v => double.IsFinite(v) && v >= 0 && v <= DeviceValidator.MaxFigure)
            .WithMessage((_, v) => $"must be a finite, non-negative TFLOPS figure of at most "
                + $"{DeviceValidator.MaxFigure:G} (got {v})")
            .ProtoName(name);
}
