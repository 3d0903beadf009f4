namespace HardwareEmulator.Domain.Devices;

/// <summary>Numeric formats the timing model and kernels know.</summary>
public enum DataType { Fp64, Fp32, Tf32, Bf16, Fp16, Fp8E4M3, Fp8E5M2, Int8 }

/// <summary>An accelerator. Peaks are dense TFLOPS (TOPS for INT8); bandwidths GB/s per direction.</summary>
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

    /// <summary>Dense peak in TFLOPS for a data type; 0 when the device has no such unit.</summary>
    public double PeakTflops(DataType t) => t switch
    {
        DataType.Fp64 => Fp64,
        DataType.Fp32 => Fp32,
        DataType.Tf32 => Tf32,
        DataType.Bf16 => Bf16,
        DataType.Fp16 => Fp16,
        DataType.Fp8E4M3 or DataType.Fp8E5M2 => Fp8,
        DataType.Int8 => Int8,
        _ => 0,
    };

    public static int BytesPerElement(DataType t) => t switch
    {
        DataType.Fp64 => 8,
        DataType.Fp32 or DataType.Tf32 => 4,
        DataType.Bf16 or DataType.Fp16 => 2,
        _ => 1,
    };
}
