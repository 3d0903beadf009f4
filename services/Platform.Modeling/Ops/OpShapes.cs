namespace Platform.Modeling.Ops;

/// <summary>Numeric formats of op operands (the emulator's Dtype).</summary>
public enum DataType { Fp64, Fp32, Tf32, Bf16, Fp16, Fp8E4M3, Fp8E5M2, Int8 }

/// <summary>Memory-streaming op kinds (norms, activations, rotary embedding, gating, copies and gathers).</summary>
public enum ElementwiseOpKind
{
    Softmax, RmsNorm, LayerNorm, Silu, Gelu, SwiGlu, Rope, Quantize, Dequantize, MoeGating, Copy, Add
}

/// <summary>Collective kinds.</summary>
public enum CollectiveOpKind { AllReduce, AllGather, ReduceScatter, AllToAll, SendRecv }

/// <summary>
/// One operation at a concrete shape, as one accelerator runs it: the single op vocabulary of the platform. The
/// decomposition (<see cref="ModelOps"/>) produces these, the emulator times them, and every service consumes the
/// times. Records compare by value, so callers cache timings per distinct shape (<see cref="Key"/> drops the label).
/// </summary>
public abstract record OpShape(string Name, DataType Format)
{
    /// <summary>The shape without its label: equal keys time identically. (A method, so records do not print
    /// it.)</summary>
    public OpShape Key() => Name.Length == 0 ? this : this with { Name = "" };

    /// <summary>The shape's dimensions in words, e.g. "m=4096 n=7168 k=2048".</summary>
    public abstract string Describe();

    /// <summary>Attention's score/context work (fused kernel or its materialised GEMMs and softmax).</summary>
    public bool IsAttentionCore => this is AttentionShape || Name.StartsWith("attention_", StringComparison.Ordinal);
}

/// <summary>C[batch, m, n] = A[batch, m, k] · B[batch, k, n].</summary>
public sealed record GemmShape(string Name, DataType Format, long M, long N, long K, long Batch = 1)
    : OpShape(Name, Format)
{
    public double Flops => 2.0 * M * N * K * Math.Max(1, Batch);
    public override string Describe() => Batch > 1 ? $"batch={Batch} m={M} n={N} k={K}" : $"m={M} n={N} k={K}";
}

/// <summary>One GEMM per group (MoE experts) with <see cref="Rows"/> rows each, shared n and k, in one
/// kernel.</summary>
public sealed record GroupedGemmShape(string Name, DataType Format, GroupRows Rows, long N, long K)
    : OpShape(Name, Format)
{
    public double Flops => 2.0 * Rows.Total * N * K;
    public override string Describe() => $"groups={Rows.Count} m={Rows.Describe()} n={N} k={K}";
}

/// <summary>Scaled-dot-product attention (score and context GEMMs plus softmax) in one fused kernel.</summary>
public sealed record AttentionShape(string Name, DataType Format, long Batch, long QueryLen, long KvLen,
    long Heads, long KvHeads, long HeadDimQk, long HeadDimV, bool Causal) : OpShape(Name, Format)
{
    public override string Describe() =>
        $"b={Batch} q={QueryLen} kv={KvLen} heads={Heads} kv_heads={KvHeads} " +
        $"d={HeadDimQk}/{HeadDimV}{(Causal ? " causal" : "")}";
}

public sealed record ElementwiseShape(string Name, DataType Format, ElementwiseOpKind Kind,
    long Elements) : OpShape(Name, Format)
{
    /// <summary>Rows the kernel gives one thread block each (tokens for a norm, activation or rope kernel); 0 = not
    /// stated (the elements are assumed spread over the whole device).</summary>
    public long Rows { get; init; }

    public override string Describe() => $"{Kind} elements={Elements}" + (Rows > 0 ? $" rows={Rows}" : "");
}

/// <summary>A collective over <see cref="Ranks"/> accelerators, <see cref="RanksPerNode"/> of them in one scale-up
/// domain (0 = the device's whole scale-up domain).</summary>
public sealed record CollectiveShape(string Name, DataType Format, CollectiveOpKind Kind, long Bytes, int Ranks,
    int RanksPerNode)
    : OpShape(Name, Format)
{
    public override string Describe() =>
        $"{Kind} bytes={Bytes} ranks={Ranks}" + (RanksPerNode > 0 ? $" per_node={RanksPerNode}" : "");
}

/// <summary>What limits an op's modelled time.</summary>
public enum BoundKind { Compute, Memory, Latency, Communication }

/// <summary>
/// Modelled timing of one op. <see cref="Bytes"/> is HBM traffic (link traffic per rank for collectives);
/// <see cref="Efficiency"/> is achieved over peak of the bound resource.
/// </summary>
public readonly record struct OpTime(double DeviceSeconds, double Flops, double Bytes, BoundKind Bound,
    double Efficiency)
{
    public double AchievedTflops => DeviceSeconds > 0 ? Flops / DeviceSeconds / 1e12 : 0;
    public double AchievedGBps => DeviceSeconds > 0 ? Bytes / DeviceSeconds / 1e9 : 0;
}
