using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Modeling.Devices;
using Platform.Modeling.Errors;
using Platform.Modeling.Ops;
using ProtoCollective = Platform.Contracts.Emulator.V1.CollectiveKind;
using ProtoElementwise = Platform.Contracts.Emulator.V1.ElementwiseKind;

namespace Platform.Contracts.Mapping;

/// <summary>
/// The one mapping between the op vocabulary (<see cref="OpShape"/>, <see cref="OpTime"/>, <see cref="DeviceSpec"/>)
/// and the emulator's messages (OpSpec, OpTiming, Device). The emulator's server and the emulator client both use it.
/// </summary>
public static class OpSpecMapping
{
    private static readonly string[] DefaultNames = Enumerable.Range(0, 4096).Select(i => $"op{i}").ToArray();

    public static OpSpec ToProto(OpShape s)
    {
        var spec = new OpSpec { Name = s.Name, Dtype = ToProto(s.Format) };
        switch (s)
        {
            case GemmShape g:
                spec.Gemm = new GemmOp { M = g.M, N = g.N, K = g.K, Batch = g.Batch };
                break;
            case GroupedGemmShape g:
                spec.GroupedGemm = new GroupedGemmOp { N = g.N, K = g.K };
                spec.GroupedGemm.MPerGroup.AddRange(g.Rows);
                break;
            case AttentionShape a:
                spec.Attention = new AttentionOp
                {
                    Batch = a.Batch, QueryLen = a.QueryLen, KvLen = a.KvLen, NumHeads = a.Heads, NumKvHeads = a.KvHeads,
                    HeadDimQk = a.HeadDimQk, HeadDimV = a.HeadDimV, Causal = a.Causal,
                };
                break;
            case ElementwiseShape e:
                spec.Elementwise = new ElementwiseOp { Kind = ToProto(e.Kind), Elements = e.Elements, Rows = e.Rows };
                break;
            case CollectiveShape c:
                spec.Collective = new CollectiveOp
                {
                    Kind = ToProto(c.Kind), Bytes = c.Bytes, Ranks = c.Ranks, RanksPerNode = c.RanksPerNode,
                };
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(s), s.GetType().Name);
        }
        return spec;
    }

    /// <summary>A validated op from an OpSpec; errors name the field under <c>ops[index]</c>.</summary>
    public static OpShape ToShape(OpSpec spec, int index)
    {
        string name = spec.Name.Length > 0 ? spec.Name
            : index < DefaultNames.Length ? DefaultNames[index] : $"op{index}";
        switch (spec.OpCase)
        {
            case OpSpec.OpOneofCase.Gemm:
                var g = spec.Gemm;
                if (g.M <= 0 || g.N <= 0 || g.K <= 0 || g.Batch < 0) ValidateGemm(g, $"ops[{index}].gemm");
                return new GemmShape(name, ToDomain(spec.Dtype, index), g.M, g.N, g.K, Math.Max(1, g.Batch));
            case OpSpec.OpOneofCase.GroupedGemm:
                var gg = spec.GroupedGemm;
                ValidateGrouped(gg, $"ops[{index}].grouped_gemm");
                return new GroupedGemmShape(name, ToDomain(spec.Dtype, index), GroupRows.Of(gg.MPerGroup), gg.N, gg.K);
            case OpSpec.OpOneofCase.Attention:
                var a = spec.Attention;
                long kvHeads = ValidateAttention(a, $"ops[{index}].attention");
                return new AttentionShape(name, ToDomain(spec.Dtype, index), a.Batch, a.QueryLen, a.KvLen, a.NumHeads,
                    kvHeads, a.HeadDimQk, a.HeadDimV == 0 ? a.HeadDimQk : a.HeadDimV, a.Causal);
            case OpSpec.OpOneofCase.Elementwise:
                var e = spec.Elementwise;
                Positive(e.Elements, $"ops[{index}].elementwise.elements");
                if (e.Rows < 0 || e.Rows > e.Elements)
                    throw new InvalidFieldException($"ops[{index}].elementwise.rows",
                        $"must be between 0 and elements ({e.Elements}), got {e.Rows}");
                return new ElementwiseShape(name, ToDomain(spec.Dtype, index), ToDomain(e.Kind, index), e.Elements)
                { Rows = e.Rows };
            case OpSpec.OpOneofCase.Collective:
                var c = spec.Collective;
                if (c.Bytes <= 0 || c.Ranks <= 0 || c.RanksPerNode < 0)
                    ValidateCollective(c, $"ops[{index}].collective");
                // Collectives move bytes: the dtype is optional.
                var dtype = spec.Dtype == Dtype.Unspecified ? DataType.Bf16 : ToDomain(spec.Dtype, index);
                return new CollectiveShape(name, dtype, ToDomain(c.Kind, index), c.Bytes, c.Ranks, c.RanksPerNode);
            default:
                throw new InvalidFieldException($"ops[{index}].op",
                    "one of gemm, grouped_gemm, attention, elementwise, collective is required");
        }
    }

    public static OpTiming ToProto(string name, OpTime t) => new()
    {
        Name = name,
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

    public static OpTime ToDomain(OpTiming t) => new(t.DeviceSeconds, t.Flops, t.Bytes, t.Bound switch
    {
        Bound.Compute => BoundKind.Compute,
        Bound.Memory => BoundKind.Memory,
        Bound.Latency => BoundKind.Latency,
        _ => BoundKind.Communication,
    }, t.Efficiency);

    /// <summary>An accelerator as the emulator describes it (calibration fields hold its effective values).</summary>
    public static DeviceSpec ToDomain(Device d) => new()
    {
        Id = d.Id, Name = d.Name, Vendor = d.Vendor, Year = d.Year,
        Fp64 = d.PeakTflops?.Fp64 ?? 0, Fp32 = d.PeakTflops?.Fp32 ?? 0, Tf32 = d.PeakTflops?.Tf32 ?? 0,
        Bf16 = d.PeakTflops?.Bf16 ?? 0,
        Fp16 = d.PeakTflops?.Fp16 ?? 0, Fp8 = d.PeakTflops?.Fp8 ?? 0, Int8 = d.PeakTflops?.Int8 ?? 0,
        HbmGb = d.HbmGb, HbmTbps = d.HbmTbps, ScaleUpGBps = d.ScaleUpGbps, ScaleOutGBps = d.ScaleOutGbps,
        TdpW = d.TdpWatts,
        ComputeUnits = d.ComputeUnits, L2Mb = d.L2Mb, ScaleUpLatencyUs = d.ScaleUpLatencyUs,
        ScaleOutLatencyUs = d.ScaleOutLatencyUs,
        ScaleUpDomain = d.ScaleUpDomain > 0 ? d.ScaleUpDomain : 8,
        PriceLow = d.PriceLowUsd, PriceMid = d.PriceMidUsd, PriceList = d.PriceListUsd, Source = d.Source,
        Notes = d.Notes,
        MatmulEfficiencyBf16 = d.MatmulEfficiencyBf16, MatmulEfficiencyFp8 = d.MatmulEfficiencyFp8,
        MemoryEfficiency = d.MemoryEfficiency,
        L2Tbps = d.L2Tbps, ScaleUpEfficiency = d.ScaleUpEfficiency, ScaleOutEfficiency = d.ScaleOutEfficiency,
        BuiltIn = d.BuiltIn,
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

    private static DataType ToDomain(Dtype t, int index) =>
        t is > Dtype.Unspecified and <= Dtype.Int8 ? (DataType)((int)t - 1) : ToDomain(t, $"ops[{index}].dtype");

    public static Dtype ToProto(DataType t) => (Dtype)((int)t + 1);

    private static ProtoElementwise ToProto(ElementwiseOpKind k) => (ProtoElementwise)((int)k + 1);

    private static ElementwiseOpKind ToDomain(ProtoElementwise k, int index) =>
        k is > ProtoElementwise.Unspecified and <= ProtoElementwise.Add
            ? (ElementwiseOpKind)((int)k - 1)
            : throw new InvalidFieldException($"ops[{index}].elementwise.kind",
                "is required (e.g. ELEMENTWISE_KIND_RMSNORM)");

    private static ProtoCollective ToProto(CollectiveOpKind k) => (ProtoCollective)((int)k + 1);

    private static CollectiveOpKind ToDomain(ProtoCollective k, int index) =>
        k is > ProtoCollective.Unspecified and <= ProtoCollective.SendRecv
            ? (CollectiveOpKind)((int)k - 1)
            : throw new InvalidFieldException($"ops[{index}].collective.kind",
                "is required (e.g. COLLECTIVE_KIND_ALL_REDUCE)");

    public static void ValidateGemm(GemmOp? g, string f)
    {
        if (g is null) throw new InvalidFieldException(f, "is required");
        Positive(g.M, $"{f}.m"); Positive(g.N, $"{f}.n"); Positive(g.K, $"{f}.k");
        if (g.Batch < 0) throw new InvalidFieldException($"{f}.batch", "must not be negative");
    }

    public static void ValidateGrouped(GroupedGemmOp gg, string f)
    {
        if (gg.MPerGroup.Count == 0) throw new InvalidFieldException($"{f}.m_per_group", "needs at least one group");
        for (int i = 0; i < gg.MPerGroup.Count; i++)
            if (gg.MPerGroup[i] < 0) throw new InvalidFieldException($"{f}.m_per_group[{i}]", "must not be negative");
        Positive(gg.N, $"{f}.n");
        Positive(gg.K, $"{f}.k");
    }

    /// <summary>Validates an attention shape; returns the KV head count (0 means num_heads).</summary>
    public static long ValidateAttention(AttentionOp a, string f)
    {
        Positive(a.Batch, $"{f}.batch");
        Positive(a.QueryLen, $"{f}.query_len");
        Positive(a.KvLen, $"{f}.kv_len");
        Positive(a.NumHeads, $"{f}.num_heads");
        Positive(a.HeadDimQk, $"{f}.head_dim_qk");
        if (a.HeadDimV < 0)
            throw new InvalidFieldException($"{f}.head_dim_v", "must not be negative (0 means head_dim_qk)");
        long kvHeads = a.NumKvHeads == 0 ? a.NumHeads : a.NumKvHeads;
        if (kvHeads < 0 || a.NumHeads % kvHeads != 0)
            throw new InvalidFieldException($"{f}.num_kv_heads", $"must divide num_heads ({a.NumHeads})");
        return kvHeads;
    }

    public static void ValidateCollective(CollectiveOp c, string f)
    {
        Positive(c.Bytes, $"{f}.bytes"); Positive(c.Ranks, $"{f}.ranks");
        if (c.RanksPerNode < 0) throw new InvalidFieldException($"{f}.ranks_per_node", "must not be negative");
    }

    public static void Positive(long v, string field)
    {
        if (v <= 0) throw new InvalidFieldException(field, $"must be positive (got {v})");
    }
}
