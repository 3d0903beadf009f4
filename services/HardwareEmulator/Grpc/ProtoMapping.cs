using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Modeling.Errors;
using DomainCollective = HardwareEmulator.Domain.Timing.CollectiveKind;
using DomainElementwise = HardwareEmulator.Domain.Timing.ElementwiseKind;
using ProtoCollective = Platform.Contracts.Emulator.V1.CollectiveKind;
using ProtoElementwise = Platform.Contracts.Emulator.V1.ElementwiseKind;

namespace HardwareEmulator.Grpc;

/// <summary>Translates between the emulator's protobuf messages and its domain types, validating as it goes.</summary>
internal static class ProtoMapping
{
    public static Device ToProto(DeviceSpec d) => new()
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
    };

    public static DataType ToDomain(Dtype t, string field) => t switch
    {
        Dtype.Fp64 => DataType.Fp64,
        Dtype.Fp32 => DataType.Fp32,
        Dtype.Tf32 => DataType.Tf32,
        Dtype.Bf16 => DataType.Bf16,
        Dtype.Fp16 => DataType.Fp16,
        Dtype.Fp8E4M3 => DataType.Fp8E4M3,
        Dtype.Fp8E5M2 => DataType.Fp8E5M2,
        Dtype.Int8 => DataType.Int8,
        Dtype.Unspecified => throw new InvalidFieldException(field, "is required (e.g. DTYPE_BF16)"),
        _ => throw new InvalidFieldException(field, $"unknown dtype {(int)t}"),
    };

    public static Op ToDomain(OpSpec spec, int index)
    {
        string f = $"ops[{index}]";
        var dtype = ToDomain(spec.Dtype, $"{f}.dtype");
        string name = string.IsNullOrEmpty(spec.Name) ? $"op{index}" : spec.Name;
        switch (spec.OpCase)
        {
            case OpSpec.OpOneofCase.Gemm:
                var g = spec.Gemm;
                Positive(g.M, $"{f}.gemm.m"); Positive(g.N, $"{f}.gemm.n"); Positive(g.K, $"{f}.gemm.k");
                if (g.Batch < 0) throw new InvalidFieldException($"{f}.gemm.batch", "must not be negative");
                return new GemmOpSpec(name, dtype, g.M, g.N, g.K, Math.Max(1, g.Batch));
            case OpSpec.OpOneofCase.GroupedGemm:
                var gg = spec.GroupedGemm;
                if (gg.MPerGroup.Count == 0) throw new InvalidFieldException($"{f}.grouped_gemm.m_per_group", "needs at least one group");
                for (int i = 0; i < gg.MPerGroup.Count; i++)
                    if (gg.MPerGroup[i] < 0) throw new InvalidFieldException($"{f}.grouped_gemm.m_per_group[{i}]", "must not be negative");
                Positive(gg.N, $"{f}.grouped_gemm.n"); Positive(gg.K, $"{f}.grouped_gemm.k");
                return new GroupedGemmOpSpec(name, dtype, gg.MPerGroup.ToArray(), gg.N, gg.K);
            case OpSpec.OpOneofCase.Attention:
                var a = spec.Attention;
                Positive(a.Batch, $"{f}.attention.batch"); Positive(a.QueryLen, $"{f}.attention.query_len");
                Positive(a.KvLen, $"{f}.attention.kv_len"); Positive(a.NumHeads, $"{f}.attention.num_heads");
                Positive(a.HeadDimQk, $"{f}.attention.head_dim_qk");
                long kvHeads = a.NumKvHeads == 0 ? a.NumHeads : a.NumKvHeads;
                if (kvHeads < 0 || a.NumHeads % kvHeads != 0)
                    throw new InvalidFieldException($"{f}.attention.num_kv_heads", $"must divide num_heads ({a.NumHeads})");
                return new AttentionOpSpec(name, dtype, a.Batch, a.QueryLen, a.KvLen, a.NumHeads, kvHeads,
                    a.HeadDimQk, a.HeadDimV == 0 ? a.HeadDimQk : a.HeadDimV, a.Causal);
            case OpSpec.OpOneofCase.Elementwise:
                var e = spec.Elementwise;
                Positive(e.Elements, $"{f}.elementwise.elements");
                return new ElementwiseOpSpec(name, dtype, ToDomain(e.Kind, $"{f}.elementwise.kind"), e.Elements);
            case OpSpec.OpOneofCase.Collective:
                var c = spec.Collective;
                Positive(c.Bytes, $"{f}.collective.bytes"); Positive(c.Ranks, $"{f}.collective.ranks");
                if (c.RanksPerNode < 0) throw new InvalidFieldException($"{f}.collective.ranks_per_node", "must not be negative");
                return new CollectiveOpSpec(name, dtype, ToDomain(c.Kind, $"{f}.collective.kind"), c.Bytes, c.Ranks, c.RanksPerNode);
            default:
                throw new InvalidFieldException($"{f}.op", "one of gemm, grouped_gemm, attention, elementwise, collective is required");
        }
    }

    public static OpTiming ToProto(OpTime t) => new()
    {
        Name = t.Name,
        DeviceSeconds = t.DeviceSeconds,
        AchievedTflops = t.AchievedTflops,
        AchievedGbps = t.AchievedGBps,
        Bound = t.Bound switch
        {
            BoundKind.Compute => Bound.Compute,
            BoundKind.Memory => Bound.Memory,
            BoundKind.Latency => Bound.Latency,
            _ => Bound.Communication,
        },
        Efficiency = t.Efficiency,
        Flops = t.Flops,
        Bytes = t.Bytes,
    };

    private static DomainElementwise ToDomain(ProtoElementwise k, string field) => k switch
    {
        ProtoElementwise.Softmax => DomainElementwise.Softmax,
        ProtoElementwise.Rmsnorm => DomainElementwise.RmsNorm,
        ProtoElementwise.Layernorm => DomainElementwise.LayerNorm,
        ProtoElementwise.Silu => DomainElementwise.Silu,
        ProtoElementwise.Gelu => DomainElementwise.Gelu,
        ProtoElementwise.Swiglu => DomainElementwise.SwiGlu,
        ProtoElementwise.Rope => DomainElementwise.Rope,
        ProtoElementwise.Quantize => DomainElementwise.Quantize,
        ProtoElementwise.Dequantize => DomainElementwise.Dequantize,
        ProtoElementwise.MoeGating => DomainElementwise.MoeGating,
        ProtoElementwise.Copy => DomainElementwise.Copy,
        _ => throw new InvalidFieldException(field, "is required"),
    };

    private static DomainCollective ToDomain(ProtoCollective k, string field) => k switch
    {
        ProtoCollective.AllReduce => DomainCollective.AllReduce,
        ProtoCollective.AllGather => DomainCollective.AllGather,
        ProtoCollective.ReduceScatter => DomainCollective.ReduceScatter,
        ProtoCollective.AllToAll => DomainCollective.AllToAll,
        ProtoCollective.SendRecv => DomainCollective.SendRecv,
        _ => throw new InvalidFieldException(field, "is required"),
    };

    private static void Positive(long v, string field)
    {
        if (v <= 0) throw new InvalidFieldException(field, $"must be positive (got {v})");
    }
}
