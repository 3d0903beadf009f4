using Platform.Modeling.Devices;

namespace TrainingCost.Domain;

/// <summary>What the training model needs to know about an accelerator (from the emulator's device catalog).</summary>
public sealed record AcceleratorSpec
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    public double PeakBf16Tflops { get; init; }
    public double PeakFp16Tflops { get; init; }
    public double PeakFp8Tflops { get; init; }
    public double HbmGb { get; init; }
    public double HbmTbps { get; init; }
    public double ScaleUpGBps { get; init; }
    public double ScaleOutGBps { get; init; }
    public int ScaleUpDomain { get; init; } = 8;
    public double TdpWatts { get; init; }
    public double PriceLowUsd { get; init; }
    public double PriceMidUsd { get; init; }
    public double PriceListUsd { get; init; }

    /// <summary>Dense 16-bit peak used for MFU (BF16, else FP16 e.g. V100), as DeepSeek and Meta report MFU.</summary>
    public double Peak16Tflops => PeakBf16Tflops > 0 ? PeakBf16Tflops : PeakFp16Tflops;

    /// <summary>The training view of an emulator device.</summary>
    public static AcceleratorSpec From(DeviceSpec d) => new()
    {
        Id = d.Id, Name = d.Name, PeakBf16Tflops = d.Bf16, PeakFp16Tflops = d.Fp16, PeakFp8Tflops = d.Fp8,
        HbmGb = d.HbmGb, HbmTbps = d.HbmTbps, ScaleUpGBps = d.ScaleUpGBps, ScaleOutGBps = d.ScaleOutGBps,
        ScaleUpDomain = d.ScaleUpDomain > 0 ? d.ScaleUpDomain : 8, TdpWatts = d.TdpW,
        PriceLowUsd = d.PriceLow, PriceMidUsd = d.PriceMid, PriceListUsd = d.PriceList,
    };

    public double Price(PriceTier tier) => tier switch
    {
        PriceTier.Low => PriceLowUsd,
        PriceTier.List => PriceListUsd,
        _ => PriceMidUsd,
    };
}
