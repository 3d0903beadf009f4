namespace HardwareEmulator.Domain.Devices;

/// <summary>Numeric formats the timing model and kernels know.</summary>
public enum DataType { Fp64, Fp32, Tf32, Bf16, Fp16, Fp8E4M3, Fp8E5M2, Int8 }

/// <summary>
/// An accelerator. Peaks are dense TFLOPS (TOPS for INT8); bandwidths GB/s per direction; HBM TB/s.
/// The efficiency fields are measured fractions where a measurement exists (0 = the documented default,
/// see <see cref="DeviceDefaults"/> and docs/EMULATOR.md).
/// </summary>
public sealed record DeviceSpec
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string Vendor { get; init; } = "";
    public int Year { get; init; }
    public double Fp64 { get; init; }
    public double Fp32 { get; init; }
    public double Tf32 { get; init; }
    public double Bf16 { get; init; }
    public double Fp16 { get; init; }
    public double Fp8 { get; init; }
    public double Int8 { get; init; }
    public double HbmGb { get; init; }
    public double HbmTbps { get; init; }
    public double ScaleUpGBps { get; init; }
    public double ScaleOutGBps { get; init; }
    public double TdpW { get; init; }
    public int ComputeUnits { get; init; }
    public double L2Mb { get; init; }
    public double ScaleUpLatencyUs { get; init; } = 1;
    public double ScaleOutLatencyUs { get; init; } = 2;
    public int ScaleUpDomain { get; init; } = 8;
    public double PriceLow { get; init; }
    public double PriceMid { get; init; }
    public double PriceList { get; init; }
    public string Source { get; init; } = "";
    public string Notes { get; init; } = "";
    /// <summary>Measured fraction of the BF16 peak a large GEMM reaches (ml-engineering MAMF); 0 = vendor default.</summary>
    public double MatmulEfficiencyBf16 { get; init; }
    /// <summary>Measured fraction of the FP8 peak a large GEMM reaches; 0 = default (BF16 fraction × H100's FP8/BF16 ratio).</summary>
    public double MatmulEfficiencyFp8 { get; init; }
    /// <summary>Fraction of HBM bandwidth a long streaming kernel reaches; 0 = default (FlashMLA on H800).</summary>
    public double MemoryEfficiency { get; init; }
    /// <summary>L2 bandwidth TB/s; 0 = default (a multiple of HBM bandwidth).</summary>
    public double L2Tbps { get; init; }
    /// <summary>Usable fraction of the scale-up link; 0 = default.</summary>
    public double ScaleUpEfficiency { get; init; }
    /// <summary>Usable fraction of the scale-out link; 0 = default.</summary>
    public double ScaleOutEfficiency { get; init; }
    /// <summary>Shipped in Data/devices.json (false: added with RegisterDevice).</summary>
    public bool BuiltIn { get; init; }

    /// <summary>Dense peak in TFLOPS for a data type; 0 when the device has no such unit.</summary>
    public double PeakTflops(DataType t) => t switch
    {
        DataType.Fp64 => Fp64,
        DataType.Fp32 => Fp32,
        DataType.Tf32 => Tf32,
        DataType.Bf16 => Bf16 > 0 ? Bf16 : Fp16, // e.g. V100: BF16 work runs on the FP16 units
        DataType.Fp16 => Fp16,
        DataType.Fp8E4M3 or DataType.Fp8E5M2 => Fp8,
        DataType.Int8 => Int8,
        _ => 0,
    };

    /// <summary>Bytes of one element in memory.</summary>
    public static int BytesPerElement(DataType t) => t switch
    {
        DataType.Fp64 => 8,
        DataType.Fp32 or DataType.Tf32 => 4,
        DataType.Bf16 or DataType.Fp16 => 2,
        _ => 1,
    };

    /// <summary>Bytes of one GEMM output element: FP8 GEMMs write BF16 (DeepGEMM), INT8 accumulates to INT32.</summary>
    public static int OutputBytesPerElement(DataType t) => t switch
    {
        DataType.Fp64 => 8,
        DataType.Fp32 or DataType.Tf32 or DataType.Int8 => 4,
        _ => 2,
    };

    public double HbmBytes => HbmGb * 1e9;
}

/// <summary>Defaults for devices without a measurement; each is justified in docs/EMULATOR.md.</summary>
public static class DeviceDefaults
{
    /// <summary>Mean of the NVIDIA MAMF fractions in references.md (H100 80.3, A100 86.9, GH200 83.8, B200 77.6 %).</summary>
    public const double NvidiaMatmulEfficiency = 0.8215;
    /// <summary>AMD: the only measurement is MI300X (51.4 %).</summary>
    public const double AmdMatmulEfficiency = 0.514;
    /// <summary>Vendors with no public MAMF-style measurement (Huawei, Intel, Google, Cambricon, custom devices).</summary>
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

    public static double Memory(DeviceSpec d) => d.MemoryEfficiency > 0 ? d.MemoryEfficiency : MemoryEfficiency;
    public static double L2Tbps(DeviceSpec d) => d.L2Tbps > 0 ? d.L2Tbps : d.HbmTbps * L2OverHbm;
    public static double ScaleUp(DeviceSpec d) => d.ScaleUpEfficiency > 0 ? d.ScaleUpEfficiency : ScaleUpEfficiency;
    public static double ScaleOut(DeviceSpec d) => d.ScaleOutEfficiency > 0 ? d.ScaleOutEfficiency : ScaleOutEfficiency;
}
