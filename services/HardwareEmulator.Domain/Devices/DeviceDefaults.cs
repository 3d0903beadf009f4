using Platform.Modeling.Devices;

namespace HardwareEmulator.Domain.Devices;

/// <summary>Defaults for devices without a measurement; each is justified in docs/EMULATOR.md.</summary>
public static class DeviceDefaults
{
    /// <summary>Mean of the NVIDIA MAMF fractions in references.md (H100 80.3, A100 86.9, GH200 83.8, B200 77.6
    /// %).</summary>
    public const double NvidiaMatmulEfficiency = 0.8215;
    /// <summary>AMD: the only measurement is MI300X (51.4 %).</summary>
    public const double AmdMatmulEfficiency = 0.514;
    /// <summary>Vendors with no public MAMF-style measurement (Huawei, Intel, Google, Cambricon, custom
    /// devices).</summary>
    public const double OtherMatmulEfficiency = 0.70;
    /// <summary>H100 FP8/BF16 measured ratio: 70.9 % / 80.3 %.</summary>
    public const double Fp8OverBf16Efficiency = 0.709 / 0.803;
    /// <summary>FlashMLA decode on H800: 3000 of 3350 GB/s.</summary>
    public const double MemoryEfficiency = 3000.0 / 3350.0;
    /// <summary>L2 bandwidth when unknown, as a multiple of HBM bandwidth (estimate; see docs).</summary>
    public const double L2OverHbm = 4.0;
    /// <summary>DeepSeek-V3 report: ~160 GB/s usable of H800's 200 GB/s per direction.</summary>
    public const double ScaleUpEfficiency = 0.8;
    /// <summary>Calculon's InfiniBand efficiency.</summary>
    public const double ScaleOutEfficiency = 0.9;

    public static double MatmulEfficiencyBf16(DeviceSpec d) => d.MatmulEfficiencyBf16 > 0 ? d.MatmulEfficiencyBf16
        : d.Vendor.Equals("NVIDIA", StringComparison.OrdinalIgnoreCase) ? NvidiaMatmulEfficiency
        : d.Vendor.Equals("AMD", StringComparison.OrdinalIgnoreCase) ? AmdMatmulEfficiency
        : OtherMatmulEfficiency;

    public static double MatmulEfficiencyFp8(DeviceSpec d) => d.MatmulEfficiencyFp8 > 0 ? d.MatmulEfficiencyFp8
        : MatmulEfficiencyBf16(d) * Fp8OverBf16Efficiency;

    /// <summary>The measured (or default) large-GEMM fraction of peak for a dtype.</summary>
    public static double MatmulEfficiency(DeviceSpec d, DataType t) => t switch
    {
        DataType.Fp8E4M3 or DataType.Fp8E5M2 or DataType.Int8 => MatmulEfficiencyFp8(d),
        _ => MatmulEfficiencyBf16(d),
    };

    /// <summary>The device with its calibration fields at their effective values (defaults filled in), as callers see
    /// it.</summary>
    public static DeviceSpec Effective(DeviceSpec d) => d with
    {
        MatmulEfficiencyBf16 = MatmulEfficiencyBf16(d),
        MatmulEfficiencyFp8 = d.Fp8 > 0 || d.Int8 > 0 ? MatmulEfficiencyFp8(d) : 0,
        MemoryEfficiency = Memory(d),
        L2Tbps = L2Tbps(d),
        ScaleUpEfficiency = ScaleUp(d),
        ScaleOutEfficiency = ScaleOut(d),
    };

    public static double Memory(DeviceSpec d) => d.MemoryEfficiency > 0 ? d.MemoryEfficiency : MemoryEfficiency;
    public static double L2Tbps(DeviceSpec d) => d.L2Tbps > 0 ? d.L2Tbps : d.HbmTbps * L2OverHbm;
    public static double ScaleUp(DeviceSpec d) => d.ScaleUpEfficiency > 0 ? d.ScaleUpEfficiency : ScaleUpEfficiency;
    public static double ScaleOut(DeviceSpec d) => d.ScaleOutEfficiency > 0 ? d.ScaleOutEfficiency : ScaleOutEfficiency;
}
