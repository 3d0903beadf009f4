using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Mapping;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Mapping;

/// <summary>Translates between the emulator's protobuf messages and its domain types, validating as it goes.</summary>
internal static class ProtoMapping
{
    /// <summary>
    /// The device as the model sees it: calibration fields hold the effective values (defaults filled in).
    /// </summary>
    public static Device ToProto(DeviceSpec d) => ToProtoEffective(d, DeviceDefaults.Effective(d));

    private static Device ToProtoEffective(DeviceSpec d, DeviceSpec e) => new()
    {
        Id = d.Id,
        Name = d.Name,
        Vendor = d.Vendor,
        Year = d.Year,
        PeakTflops = new DtypePeaks
        {
            Fp64 = d.Fp64, Fp32 = d.Fp32, Tf32 = d.Tf32, Bf16 = d.Bf16, Fp16 = d.Fp16, Fp8 = d.Fp8, Int8 = d.Int8,
        },
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

    /// <summary>
    /// A device to register, checked by <see cref="Validation.DeviceValidator"/> first: its id normalized, defaults
    /// filled in.
    /// </summary>
    public static DeviceSpec ToDomain(Device d)
    {
        string id = DeviceCatalog.Normalize(d.Id ?? "");
        var p = d.PeakTflops;
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

    /// <summary>
    /// Checks and times one OpSpec (EstimateOps and the bus consumer); the checks are inline, as this is the hot path.
    /// </summary>
    public static OpTiming Estimate(DeviceTiming t, OpSpec spec, int index)
    {
        var op = OpSpecMapping.ToShape(spec, index);
        OpTime time;
        // The field path is formatted only when the device cannot run the op (no allocation per op otherwise).
        try { time = TimingModel.Estimate(t, op, ""); }
        catch (PreconditionFailedException e)
        {
            throw new PreconditionFailedException($"ops[{index}].{e.Field}", e.Reason);
        }
        return OpSpecMapping.ToProto(op.Name, time);
    }
}
