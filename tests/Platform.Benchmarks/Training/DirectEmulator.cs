using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using Platform.Modeling.Ops;
using TrainingCost.Domain;

namespace Platform.Benchmarks;

/// <summary>
/// The CLI's implementation of the training domain's ports: the emulator's TimingModel and device catalog
/// called directly (no server runs for `make validate`). The service uses the same model over gRPC.
/// </summary>
public sealed class DirectEmulator : IOpTimer, IAcceleratorCatalog
{
    private readonly DeviceCatalog _catalog = new();
    private readonly TimingModel _timing = new();

    public Task<AcceleratorSpec> GetAsync(string id, string field, CancellationToken ct)
    {
        var d = _catalog.Get(id, field);
        return Task.FromResult(new AcceleratorSpec
        {
            Id = d.Id, Name = d.Name, PeakBf16Tflops = d.Bf16, PeakFp16Tflops = d.Fp16, PeakFp8Tflops = d.Fp8,
            HbmGb = d.HbmGb, HbmTbps = d.HbmTbps, ScaleUpGBps = d.ScaleUpGBps, ScaleOutGBps = d.ScaleOutGBps,
            ScaleUpDomain = d.ScaleUpDomain, TdpWatts = d.TdpW, PriceLowUsd = d.PriceLow, PriceMidUsd = d.PriceMid, PriceListUsd = d.PriceList,
        });
    }

    public Task<IReadOnlyDictionary<OpShape, double>> TimeAsync(AcceleratorSpec device, IReadOnlyCollection<OpShape> ops, CancellationToken ct)
    {
        var d = _catalog.Get(device.Id, "device");
        var result = new Dictionary<OpShape, double>(ops.Count);
        foreach (var op in ops) result[op.Key()] = _timing.Estimate(d, ToOp(op)).DeviceSeconds;
        return Task.FromResult<IReadOnlyDictionary<OpShape, double>>(result);
    }

    private static Op ToOp(OpShape s) => s switch
    {
        GemmShape g => new GemmOpSpec("", Dtype(g.Format), g.M, g.N, g.K, g.Batch),
        GroupedGemmShape g => new GroupedGemmOpSpec("", Dtype(g.Format), Enumerable.Repeat(g.MPerGroup, (int)g.Groups).ToArray(), g.N, g.K),
        AttentionShape a => new AttentionOpSpec("", Dtype(a.Format), a.Batch, a.QueryLen, a.KvLen, a.Heads, a.KvHeads, a.HeadDimQk, a.HeadDimV, a.Causal),
        ElementwiseShape e => new ElementwiseOpSpec("", Dtype(e.Format), (ElementwiseKind)Enum.Parse(typeof(ElementwiseKind), e.Kind.ToString()), e.Elements),
        CollectiveShape c => new CollectiveOpSpec("", Dtype(c.Format), (CollectiveKind)Enum.Parse(typeof(CollectiveKind), c.Kind.ToString()), c.Bytes, c.Ranks, c.RanksPerNode),
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    private static DataType Dtype(OpFormat f) => f switch
    {
        OpFormat.Fp8 => DataType.Fp8E4M3,
        OpFormat.Fp16 => DataType.Fp16,
        OpFormat.Fp32 => DataType.Fp32,
        _ => DataType.Bf16,
    };
}
