using Platform.Modeling.Ops;

namespace Platform.Modeling.Devices;

/// <summary>
/// An accelerator. Peaks are dense TFLOPS (TOPS for INT8); bandwidths GB/s per direction; HBM TB/s.
/// The efficiency fields are measured fractions where a measurement exists (0 = the documented default,
/// see the emulator's DeviceDefaults and docs/EMULATOR.md).
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
    /// <summary>Measured fraction of the BF16 peak a large GEMM reaches (ml-engineering MAMF); 0 = vendor
    /// default.</summary>
    public double MatmulEfficiencyBf16 { get; init; }
    /// <summary>Measured fraction of the FP8 peak a large GEMM reaches; 0 = default (BF16 fraction × H100's FP8/BF16
    /// ratio).</summary>
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
