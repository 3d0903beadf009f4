using System.Text.RegularExpressions;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Modeling.Errors;
using Platform.Contracts.Mapping;

namespace HardwareEmulator.Mapping;

/// <summary>Translates between the emulator's protobuf messages and its domain types, validating as it goes.</summary>
internal static partial class ProtoMapping
{
    /// <summary>The device as the model sees it: calibration fields hold the effective values (defaults filled in).</summary>
    public static Device ToProto(DeviceSpec d) => ToProtoEffective(d, DeviceDefaults.Effective(d));

    private static Device ToProtoEffective(DeviceSpec d, DeviceSpec e) => new()
    {
        Id = d.Id,
        Name = d.Name,
        Vendor = d.Vendor,
        Year = d.Year,
        PeakTflops = new DtypePeaks { Fp64 = d.Fp64, Fp32 = d.Fp32, Tf32 = d.Tf32, Bf16 = d.Bf16, Fp16 = d.Fp16, Fp8 = d.Fp8, Int8 = d.Int8 },
        HbmGb = d.HbmGb,
        HbmTbps = d.HbmTbps,
        ScaleUpGbps = d.ScaleUpGBps,
        ScaleOutGbps = d.ScaleOutGBps,
        TdpWatts = d.TdpW,
        ComputeUnits = d.ComputeUnits,
        L2Mb = d.L2Mb,
        ScaleUpLatencyUs = d.ScaleUpLatencyUs,
        ScaleOutLatencyUs = d.ScaleOutLatencyUs,
        ScaleUpDomain = d.ScaleUpDomain,
        PriceLowUsd = d.PriceLow,
        PriceMidUsd = d.PriceMid,
        PriceListUsd = d.PriceList,
        Source = d.Source,
        Notes = d.Notes,
        MatmulEfficiencyBf16 = e.MatmulEfficiencyBf16,
        MatmulEfficiencyFp8 = e.MatmulEfficiencyFp8,
        MemoryEfficiency = e.MemoryEfficiency,
        L2Tbps = e.L2Tbps,
        ScaleUpEfficiency = e.ScaleUpEfficiency,
        ScaleOutEfficiency = e.ScaleOutEfficiency,
        BuiltIn = d.BuiltIn,
    };

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,63}$")]
    private static partial Regex DeviceId();

    /// <summary>A device to register: validated (id syntax, finite non-negative peaks with at least one positive, positive memory and links).</summary>
    public static DeviceSpec ToDomain(Device? d, string f = "device")
    {
        if (d is null) throw new InvalidFieldException(f, "is required");
        string id = DeviceCatalog.Normalize(d.Id ?? "");
        if (!DeviceId().IsMatch(id))
            throw new InvalidFieldException($"{f}.id", $"'{d.Id}' is not a device id: 2-64 characters of lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
        var p = d.PeakTflops ?? throw new InvalidFieldException($"{f}.peak_tflops", "is required (dense TFLOPS per dtype)");
        (string Name, double Value)[] peaks = [("fp64", p.Fp64), ("fp32", p.Fp32), ("tf32", p.Tf32), ("bf16", p.Bf16), ("fp16", p.Fp16), ("fp8", p.Fp8), ("int8", p.Int8)];
        foreach (var (name, v) in peaks)
            if (!double.IsFinite(v) || v < 0) throw new InvalidFieldException($"{f}.peak_tflops.{name}", $"must be a finite, non-negative TFLOPS figure (got {v})");
        if (p.Bf16 <= 0 && p.Fp16 <= 0 && p.Fp8 <= 0 && p.Fp32 <= 0)
            throw new InvalidFieldException($"{f}.peak_tflops", "needs a positive peak for at least one of bf16, fp16, fp8, fp32");
        Positive(d.HbmGb, $"{f}.hbm_gb");
        Positive(d.HbmTbps, $"{f}.hbm_tbps");
        Positive(d.ScaleUpGbps, $"{f}.scale_up_gbps");
        Positive(d.ScaleOutGbps, $"{f}.scale_out_gbps");
        if (d.ComputeUnits <= 0) throw new InvalidFieldException($"{f}.compute_units", $"must be positive (SMs or cores; got {d.ComputeUnits})");
        NonNegative(d.L2Mb, $"{f}.l2_mb");
        NonNegative(d.TdpWatts, $"{f}.tdp_watts");
        NonNegative(d.ScaleUpLatencyUs, $"{f}.scale_up_latency_us");
        NonNegative(d.ScaleOutLatencyUs, $"{f}.scale_out_latency_us");
        NonNegative(d.PriceLowUsd, $"{f}.price_low_usd");
        NonNegative(d.PriceMidUsd, $"{f}.price_mid_usd");
        NonNegative(d.PriceListUsd, $"{f}.price_list_usd");
        NonNegative(d.L2Tbps, $"{f}.l2_tbps");
        if (d.ScaleUpDomain < 0) throw new InvalidFieldException($"{f}.scale_up_domain", "must not be negative");
        Fraction(d.MatmulEfficiencyBf16, $"{f}.matmul_efficiency_bf16");
        Fraction(d.MatmulEfficiencyFp8, $"{f}.matmul_efficiency_fp8");
        Fraction(d.MemoryEfficiency, $"{f}.memory_efficiency");
        Fraction(d.ScaleUpEfficiency, $"{f}.scale_up_efficiency");
        Fraction(d.ScaleOutEfficiency, $"{f}.scale_out_efficiency");
        return new DeviceSpec
        {
            Id = id,
            Name = string.IsNullOrWhiteSpace(d.Name) ? id : d.Name,
            Vendor = string.IsNullOrWhiteSpace(d.Vendor) ? "Custom" : d.Vendor,
            Year = d.Year,
            Fp64 = p.Fp64, Fp32 = p.Fp32, Tf32 = p.Tf32, Bf16 = p.Bf16, Fp16 = p.Fp16, Fp8 = p.Fp8, Int8 = p.Int8,
            HbmGb = d.HbmGb,
            HbmTbps = d.HbmTbps,
            ScaleUpGBps = d.ScaleUpGbps,
            ScaleOutGBps = d.ScaleOutGbps,
            TdpW = d.TdpWatts,
            ComputeUnits = d.ComputeUnits,
            L2Mb = d.L2Mb,
            ScaleUpLatencyUs = d.ScaleUpLatencyUs > 0 ? d.ScaleUpLatencyUs : 1,
            ScaleOutLatencyUs = d.ScaleOutLatencyUs > 0 ? d.ScaleOutLatencyUs : 2,
            ScaleUpDomain = d.ScaleUpDomain > 0 ? d.ScaleUpDomain : 8,
            PriceLow = d.PriceLowUsd,
            PriceMid = d.PriceMidUsd,
            PriceList = d.PriceListUsd,
            Source = string.IsNullOrWhiteSpace(d.Source) ? "registered at run time (RegisterDevice)" : d.Source,
            Notes = d.Notes,
            MatmulEfficiencyBf16 = d.MatmulEfficiencyBf16,
            MatmulEfficiencyFp8 = d.MatmulEfficiencyFp8,
            MemoryEfficiency = d.MemoryEfficiency,
            L2Tbps = d.L2Tbps,
            ScaleUpEfficiency = d.ScaleUpEfficiency,
            ScaleOutEfficiency = d.ScaleOutEfficiency,
        };
    }

    /// <summary>Validates and times one OpSpec (EstimateOps and the bus consumer).</summary>
    public static OpTiming Estimate(DeviceTiming t, OpSpec spec, int index)
    {
        var op = OpSpecMapping.ToShape(spec, index);
        return OpSpecMapping.ToProto(op.Name, TimingModel.Estimate(t, op, $"ops[{index}]"));
    }

    private static void Positive(double v, string field)
    {
        if (!double.IsFinite(v) || v <= 0) throw new InvalidFieldException(field, $"must be a positive number (got {v})");
    }

    private static void NonNegative(double v, string field)
    {
        if (!double.IsFinite(v) || v < 0) throw new InvalidFieldException(field, $"must be a finite, non-negative number (got {v})");
    }

    private static void Fraction(double v, string field)
    {
        if (!double.IsFinite(v) || v < 0 || v > 1) throw new InvalidFieldException(field, $"must be within (0, 1], or 0 for the default (got {v})");
    }
}
