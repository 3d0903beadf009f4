using System.Collections.Concurrent;
using Grpc.Core;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Modeling.Errors;
using Platform.Modeling.Ops;
using TrainingCost.Domain;

namespace TrainingCost.Grpc;

/// <summary>
/// <see cref="IOpTimer"/> over the emulator's EstimateOps RPC. Timings are cached per device and distinct op
/// shape for the life of the process, so a plan search sends each shape once and repeated estimates none.
/// </summary>
public sealed class GrpcOpTimer(EmulatorService.EmulatorServiceClient client, OpTimingCache cache) : IOpTimer
{
    /// <summary>Ops per EstimateOps call (keeps messages well under gRPC's size limit).</summary>
    private const int BatchSize = 4000;
    private const int MaxCacheEntries = 2_000_000;
    private readonly ConcurrentDictionary<(string Device, OpShape Op), double> _cache = cache.Entries;

    public async Task<IReadOnlyDictionary<OpShape, double>> TimeAsync(AcceleratorSpec device, IReadOnlyCollection<OpShape> ops, CancellationToken ct)
    {
        var result = new Dictionary<OpShape, double>(ops.Count);
        var missing = new List<OpShape>();
        var queued = new HashSet<OpShape>();
        foreach (var op in ops)
        {
            var key = op.Key();
            if (_cache.TryGetValue((device.Id, key), out double t)) result[key] = t;
            else if (queued.Add(key)) missing.Add(key); // shapes that differ only by label are timed once
        }
        if (_cache.Count + missing.Count > MaxCacheEntries) _cache.Clear();
        foreach (var chunk in missing.Chunk(BatchSize))
        {
            var request = new EstimateOpsRequest { Device = device.Id };
            request.Ops.AddRange(chunk.Select(ToProto));
            EstimateOpsResponse response;
            try
            {
                response = await client.EstimateOpsAsync(request, cancellationToken: ct);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition)
            {
                // The emulator cannot time an op on this device (e.g. no FP8 units): a precondition of this run.
                throw new PreconditionFailedException("precision", $"{device.Id} cannot run this training step: {e.Status.Detail}");
            }
            for (int i = 0; i < chunk.Length; i++)
            {
                double t = response.Timings[i].DeviceSeconds;
                _cache[(device.Id, chunk[i])] = t;
                result[chunk[i]] = t;
            }
        }
        return result;
    }

    public static OpSpec ToProto(OpShape s)
    {
        var spec = new OpSpec { Name = s.Name, Dtype = Dtype(s.Format) };
        switch (s)
        {
            case GemmShape g:
                spec.Gemm = new GemmOp { M = g.M, N = g.N, K = g.K, Batch = g.Batch };
                break;
            case GroupedGemmShape g:
                var gg = new GroupedGemmOp { N = g.N, K = g.K };
                gg.MPerGroup.AddRange(Enumerable.Repeat(g.MPerGroup, (int)g.Groups));
                spec.GroupedGemm = gg;
                break;
            case AttentionShape a:
                spec.Attention = new AttentionOp
                {
                    Batch = a.Batch, QueryLen = a.QueryLen, KvLen = a.KvLen, NumHeads = a.Heads, NumKvHeads = a.KvHeads,
                    HeadDimQk = a.HeadDimQk, HeadDimV = a.HeadDimV, Causal = a.Causal,
                };
                break;
            case ElementwiseShape e:
                spec.Elementwise = new ElementwiseOp { Kind = Kind(e.Kind), Elements = e.Elements };
                break;
            case CollectiveShape c:
                spec.Collective = new CollectiveOp { Kind = Kind(c.Kind), Bytes = c.Bytes, Ranks = c.Ranks, RanksPerNode = c.RanksPerNode };
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(s), s.GetType().Name);
        }
        return spec;
    }

    private static Dtype Dtype(OpFormat f) => f switch
    {
        OpFormat.Fp8 => Platform.Contracts.Common.V1.Dtype.Fp8E4M3,
        OpFormat.Fp16 => Platform.Contracts.Common.V1.Dtype.Fp16,
        OpFormat.Fp32 => Platform.Contracts.Common.V1.Dtype.Fp32,
        _ => Platform.Contracts.Common.V1.Dtype.Bf16,
    };

    private static ElementwiseKind Kind(ElementwiseOpKind k) => k switch
    {
        ElementwiseOpKind.RmsNorm => ElementwiseKind.Rmsnorm,
        ElementwiseOpKind.LayerNorm => ElementwiseKind.Layernorm,
        ElementwiseOpKind.SwiGlu => ElementwiseKind.Swiglu,
        ElementwiseOpKind.Gelu => ElementwiseKind.Gelu,
        ElementwiseOpKind.Rope => ElementwiseKind.Rope,
        ElementwiseOpKind.Quantize => ElementwiseKind.Quantize,
        ElementwiseOpKind.MoeGating => ElementwiseKind.MoeGating,
        ElementwiseOpKind.Softmax => ElementwiseKind.Softmax,
        _ => ElementwiseKind.Copy,
    };

    private static CollectiveKind Kind(CollectiveOpKind k) => k switch
    {
        CollectiveOpKind.AllReduce => CollectiveKind.AllReduce,
        CollectiveOpKind.AllGather => CollectiveKind.AllGather,
        CollectiveOpKind.ReduceScatter => CollectiveKind.ReduceScatter,
        CollectiveOpKind.AllToAll => CollectiveKind.AllToAll,
        _ => CollectiveKind.SendRecv,
    };
}

/// <summary>Process-wide cache of emulator op timings (a singleton; the gRPC client itself is transient).</summary>
public sealed class OpTimingCache
{
    public ConcurrentDictionary<(string Device, OpShape Op), double> Entries { get; } = new();
}

/// <summary><see cref="IAcceleratorCatalog"/> over the emulator's GetDevice RPC (one call per estimate: devices can be registered at run time).</summary>
public sealed class GrpcAcceleratorCatalog(EmulatorService.EmulatorServiceClient client) : IAcceleratorCatalog
{
    public async Task<AcceleratorSpec> GetAsync(string id, string field, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(id)) throw new InvalidFieldException(field, "is required, e.g. 'h800'");
        Device d;
        try
        {
            d = (await client.GetDeviceAsync(new GetDeviceRequest { Id = id.Trim() }, cancellationToken: ct)).Device;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            throw new NotFoundException(field, "accelerator", id);
        }
        return new AcceleratorSpec
        {
            Id = d.Id, Name = d.Name, PeakBf16Tflops = d.PeakTflops?.Bf16 ?? 0, PeakFp16Tflops = d.PeakTflops?.Fp16 ?? 0,
            PeakFp8Tflops = d.PeakTflops?.Fp8 ?? 0, HbmGb = d.HbmGb, HbmTbps = d.HbmTbps, ScaleUpGBps = d.ScaleUpGbps,
            ScaleOutGBps = d.ScaleOutGbps, ScaleUpDomain = d.ScaleUpDomain > 0 ? d.ScaleUpDomain : 8, TdpWatts = d.TdpWatts,
            PriceLowUsd = d.PriceLowUsd, PriceMidUsd = d.PriceMidUsd, PriceListUsd = d.PriceListUsd,
        };
    }
}
