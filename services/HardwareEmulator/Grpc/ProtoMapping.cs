using System.Text.RegularExpressions;
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
internal static partial class ProtoMapping
{
    /// <summary>The device as the model sees it: calibration fields hold the effective values (defaults filled in).</summary>
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
        MatmulEfficiencyBf16 = DeviceDefaults.MatmulEfficiencyBf16(d),
        MatmulEfficiencyFp8 = d.Fp8 > 0 || d.Int8 > 0 ? DeviceDefaults.MatmulEfficiencyFp8(d) : 0,
        MemoryEfficiency = DeviceDefaults.Memory(d),
        L2Tbps = DeviceDefaults.L2Tbps(d),
        ScaleUpEfficiency = DeviceDefaults.ScaleUp(d),
        ScaleOutEfficiency = DeviceDefaults.ScaleOut(d),
        BuiltIn = d.BuiltIn,
    };

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,63}$")]
    private static partial Regex DeviceId();

    /// <summary>A device to register: validated (id syntax, finite non-negative peaks with at least one positive, positive memory and links).</summary>
    public static DeviceSpec ToDomain(Device? d, string f = "device")
    {
        if (d is null) throw new InvalidFieldException(f, "is required");
        string id = DeviceCatalog.Normalize(d.Id ?? "");
        if (!DeviceId().IsMatch(id))
            throw new InvalidFieldException($"{f}.id", $"'{d.Id}' is not a device id: 2-64 characters of lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
        var p = d.PeakTflops ?? throw new InvalidFieldException($"{f}.peak_tflops", "is required (dense TFLOPS per dtype)");
        (string Name, double Value)[] peaks = [("fp64", p.Fp64), ("fp32", p.Fp32), ("tf32", p.Tf32), ("bf16", p.Bf16), ("fp16", p.Fp16), ("fp8", p.Fp8), ("int8", p.Int8)];
        foreach (var (name, v) in peaks)
            if (!double.IsFinite(v) || v < 0) throw new InvalidFieldException($"{f}.peak_tflops.{name}", $"must be a finite, non-negative TFLOPS figure (got {v})");
        if (p.Bf16 <= 0 && p.Fp16 <= 0 && p.Fp8 <= 0 && p.Fp32 <= 0)
            throw new InvalidFieldException($"{f}.peak_tflops", "needs a positive peak for at least one of bf16, fp16, fp8, fp32");
        Positive(d.HbmGb, $"{f}.hbm_gb");
        Positive(d.HbmTbps, $"{f}.hbm_tbps");
        Positive(d.ScaleUpGbps, $"{f}.scale_up_gbps");
        Positive(d.ScaleOutGbps, $"{f}.scale_out_gbps");
        if (d.ComputeUnits <= 0) throw new InvalidFieldException($"{f}.compute_units", $"must be positive (SMs or cores; got {d.ComputeUnits})");
        NonNegative(d.L2Mb, $"{f}.l2_mb");
        NonNegative(d.TdpWatts, $"{f}.tdp_watts");
        NonNegative(d.ScaleUpLatencyUs, $"{f}.scale_up_latency_us");
        NonNegative(d.ScaleOutLatencyUs, $"{f}.scale_out_latency_us");
        NonNegative(d.PriceLowUsd, $"{f}.price_low_usd");
        NonNegative(d.PriceMidUsd, $"{f}.price_mid_usd");
        NonNegative(d.PriceListUsd, $"{f}.price_list_usd");
        NonNegative(d.L2Tbps, $"{f}.l2_tbps");
        if (d.ScaleUpDomain < 0) throw new InvalidFieldException($"{f}.scale_up_domain", "must not be negative");
        Fraction(d.MatmulEfficiencyBf16, $"{f}.matmul_efficiency_bf16");
        Fraction(d.MatmulEfficiencyFp8, $"{f}.matmul_efficiency_fp8");
        Fraction(d.MemoryEfficiency, $"{f}.memory_efficiency");
        Fraction(d.ScaleUpEfficiency, $"{f}.scale_up_efficiency");
        Fraction(d.ScaleOutEfficiency, $"{f}.scale_out_efficiency");
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

    public static Dtype ToProto(DataType t) => t switch
    {
        DataType.Fp64 => Dtype.Fp64,
        DataType.Fp32 => Dtype.Fp32,
        DataType.Tf32 => Dtype.Tf32,
        DataType.Bf16 => Dtype.Bf16,
        DataType.Fp16 => Dtype.Fp16,
        DataType.Fp8E4M3 => Dtype.Fp8E4M3,
        DataType.Fp8E5M2 => Dtype.Fp8E5M2,
        _ => Dtype.Int8,
    };

    /// <summary>A domain op from an OpSpec (used by the bus consumer and ProfileModel-style callers).</summary>
    public static Op ToDomain(OpSpec spec, int index)
    {
        string f = $"ops[{index}]";
        string name = string.IsNullOrEmpty(spec.Name) ? $"op{index}" : spec.Name;
        switch (spec.OpCase)
        {
            case OpSpec.OpOneofCase.Gemm:
                var g = spec.Gemm;
                ValidateGemm(g, f + ".gemm");
                return new GemmOpSpec(name, ToDomain(spec.Dtype, $"{f}.dtype"), g.M, g.N, g.K, Math.Max(1, g.Batch));
            case OpSpec.OpOneofCase.GroupedGemm:
                ValidateGrouped(spec.GroupedGemm, f + ".grouped_gemm");
                return new GroupedGemmOpSpec(name, ToDomain(spec.Dtype, $"{f}.dtype"), spec.GroupedGemm.MPerGroup.ToArray(), spec.GroupedGemm.N, spec.GroupedGemm.K);
            case OpSpec.OpOneofCase.Attention:
                var a = spec.Attention;
                long kvHeads = ValidateAttention(a, f + ".attention");
                return new AttentionOpSpec(name, ToDomain(spec.Dtype, $"{f}.dtype"), a.Batch, a.QueryLen, a.KvLen, a.NumHeads, kvHeads,
                    a.HeadDimQk, a.HeadDimV == 0 ? a.HeadDimQk : a.HeadDimV, a.Causal);
            case OpSpec.OpOneofCase.Elementwise:
                var e = spec.Elementwise;
                Positive(e.Elements, $"{f}.elementwise.elements");
                return new ElementwiseOpSpec(name, ToDomain(spec.Dtype, $"{f}.dtype"), ToDomain(e.Kind, $"{f}.elementwise.kind"), e.Elements);
            case OpSpec.OpOneofCase.Collective:
                var c = spec.Collective;
                ValidateCollective(c, f + ".collective");
                return new CollectiveOpSpec(name, spec.Dtype == Dtype.Unspecified ? DataType.Bf16 : ToDomain(spec.Dtype, $"{f}.dtype"),
                    ToDomain(c.Kind, $"{f}.collective.kind"), c.Bytes, c.Ranks, c.RanksPerNode);
            default:
                throw new InvalidFieldException($"{f}.op", "one of gemm, grouped_gemm, attention, elementwise, collective is required");
        }
    }

    private static readonly string[] DefaultNames = Enumerable.Range(0, 4096).Select(i => $"op{i}").ToArray();

    /// <summary>
    /// The EstimateOps fast path: validates and times one OpSpec straight from the message, without building
    /// domain records (field paths are formatted only when an error is thrown).
    /// </summary>
    public static OpTiming Estimate(DeviceTiming t, OpSpec spec, int index)
    {
        OpTime time;
        switch (spec.OpCase)
        {
            case OpSpec.OpOneofCase.Gemm:
            {
                var g = spec.Gemm;
                if (g.M <= 0 || g.N <= 0 || g.K <= 0 || g.Batch < 0) ValidateGemm(g, $"ops[{index}].gemm");
                var dt = Supported(t, spec.Dtype, index);
                time = t.Gemm(dt, g.M, g.N, g.K, Math.Max(1, g.Batch));
                break;
            }
            case OpSpec.OpOneofCase.GroupedGemm:
            {
                var gg = spec.GroupedGemm;
                ValidateGrouped(gg, null, index);
                var dt = Supported(t, spec.Dtype, index);
                time = t.GroupedGemm(dt, gg.MPerGroup, gg.N, gg.K);
                break;
            }
            case OpSpec.OpOneofCase.Attention:
            {
                var a = spec.Attention;
                long kvHeads = ValidateAttention(a, null, index);
                var dt = Supported(t, spec.Dtype, index);
                time = t.Attention(dt, a.Batch, a.QueryLen, a.KvLen, a.NumHeads, kvHeads, a.HeadDimQk, a.HeadDimV == 0 ? a.HeadDimQk : a.HeadDimV, a.Causal);
                break;
            }
            case OpSpec.OpOneofCase.Elementwise:
            {
                var e = spec.Elementwise;
                if (e.Elements <= 0) Positive(e.Elements, $"ops[{index}].elementwise.elements");
                var dt = spec.Dtype == Dtype.Unspecified || (int)spec.Dtype > (int)Dtype.Int8 ? ToDomain(spec.Dtype, $"ops[{index}].dtype") : ToDomainFast(spec.Dtype);
                time = t.Elementwise(dt, ToDomain(e.Kind, null, index), e.Elements);
                break;
            }
            case OpSpec.OpOneofCase.Collective:
            {
                var c = spec.Collective;
                if (c.Bytes <= 0 || c.Ranks <= 0 || c.RanksPerNode < 0) ValidateCollective(c, $"ops[{index}].collective");
                if ((int)spec.Dtype > (int)Dtype.Int8) ToDomain(spec.Dtype, $"ops[{index}].dtype");
                time = t.Collective(ToDomain(c.Kind, null, index), c.Bytes, c.Ranks, c.RanksPerNode);
                break;
            }
            default:
                throw new InvalidFieldException($"ops[{index}].op", "one of gemm, grouped_gemm, attention, elementwise, collective is required");
        }
        string name = spec.Name.Length > 0 ? spec.Name : index < DefaultNames.Length ? DefaultNames[index] : $"op{index}";
        return ToProto(name, time);
    }

    private static DataType ToDomainFast(Dtype t) => (DataType)((int)t - 1);

    private static DataType Supported(DeviceTiming t, Dtype dtype, int index)
    {
        if (dtype == Dtype.Unspecified || (int)dtype > (int)Dtype.Int8) ToDomain(dtype, $"ops[{index}].dtype");
        var dt = ToDomainFast(dtype);
        if (t.PeakFlops(dt) <= 0)
            throw new PreconditionFailedException($"ops[{index}].dtype", $"device '{t.Device.Id}' has no {dt} units (peak 0)");
        return dt;
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

    public static void ValidateGemm(GemmOp? g, string f)
    {
        if (g is null) throw new InvalidFieldException(f, "is required");
        Positive(g.M, $"{f}.m"); Positive(g.N, $"{f}.n"); Positive(g.K, $"{f}.k");
        if (g.Batch < 0) throw new InvalidFieldException($"{f}.batch", "must not be negative");
    }

    public static void ValidateGrouped(GroupedGemmOp gg, string? f, int index = 0)
    {
        if (gg.MPerGroup.Count == 0) throw new InvalidFieldException($"{f ?? $"ops[{index}].grouped_gemm"}.m_per_group", "needs at least one group");
        for (int i = 0; i < gg.MPerGroup.Count; i++)
            if (gg.MPerGroup[i] < 0) throw new InvalidFieldException($"{f ?? $"ops[{index}].grouped_gemm"}.m_per_group[{i}]", "must not be negative");
        if (gg.N <= 0) Positive(gg.N, $"{f ?? $"ops[{index}].grouped_gemm"}.n");
        if (gg.K <= 0) Positive(gg.K, $"{f ?? $"ops[{index}].grouped_gemm"}.k");
    }

    /// <summary>Validates an attention shape; returns the KV head count (0 means num_heads).</summary>
    public static long ValidateAttention(AttentionOp a, string? f, int index = 0)
    {
        if (a.Batch <= 0) Positive(a.Batch, $"{f ?? $"ops[{index}].attention"}.batch");
        if (a.QueryLen <= 0) Positive(a.QueryLen, $"{f ?? $"ops[{index}].attention"}.query_len");
        if (a.KvLen <= 0) Positive(a.KvLen, $"{f ?? $"ops[{index}].attention"}.kv_len");
        if (a.NumHeads <= 0) Positive(a.NumHeads, $"{f ?? $"ops[{index}].attention"}.num_heads");
        if (a.HeadDimQk <= 0) Positive(a.HeadDimQk, $"{f ?? $"ops[{index}].attention"}.head_dim_qk");
        if (a.HeadDimV < 0) throw new InvalidFieldException($"{f ?? $"ops[{index}].attention"}.head_dim_v", "must not be negative (0 means head_dim_qk)");
        long kvHeads = a.NumKvHeads == 0 ? a.NumHeads : a.NumKvHeads;
        if (kvHeads < 0 || a.NumHeads % kvHeads != 0)
            throw new InvalidFieldException($"{f ?? $"ops[{index}].attention"}.num_kv_heads", $"must divide num_heads ({a.NumHeads})");
        return kvHeads;
    }

    public static void ValidateCollective(CollectiveOp c, string f)
    {
        Positive(c.Bytes, $"{f}.bytes"); Positive(c.Ranks, $"{f}.ranks");
        if (c.RanksPerNode < 0) throw new InvalidFieldException($"{f}.ranks_per_node", "must not be negative");
    }

    private static DomainElementwise ToDomain(ProtoElementwise k, string? field, int index = 0) => k switch
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
        _ => throw new InvalidFieldException(field ?? $"ops[{index}].elementwise.kind", "is required (e.g. ELEMENTWISE_KIND_RMSNORM)"),
    };

    private static DomainCollective ToDomain(ProtoCollective k, string? field, int index = 0) => k switch
    {
        ProtoCollective.AllReduce => DomainCollective.AllReduce,
        ProtoCollective.AllGather => DomainCollective.AllGather,
        ProtoCollective.ReduceScatter => DomainCollective.ReduceScatter,
        ProtoCollective.AllToAll => DomainCollective.AllToAll,
        ProtoCollective.SendRecv => DomainCollective.SendRecv,
        _ => throw new InvalidFieldException(field ?? $"ops[{index}].collective.kind", "is required (e.g. COLLECTIVE_KIND_ALL_REDUCE)"),
    };

    public static void Positive(long v, string field)
    {
        if (v <= 0) throw new InvalidFieldException(field, $"must be positive (got {v})");
    }

    private static void Positive(double v, string field)
    {
        if (!double.IsFinite(v) || v <= 0) throw new InvalidFieldException(field, $"must be a positive number (got {v})");
    }

    private static void NonNegative(double v, string field)
    {
        if (!double.IsFinite(v) || v < 0) throw new InvalidFieldException(field, $"must be a finite, non-negative number (got {v})");
    }

    private static void Fraction(double v, string field)
    {
        if (!double.IsFinite(v) || v < 0 || v > 1) throw new InvalidFieldException(field, $"must be within (0, 1], or 0 for the default (got {v})");
    }
}
