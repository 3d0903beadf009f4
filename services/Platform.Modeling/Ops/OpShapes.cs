namespace Platform.Modeling.Ops;

/// <summary>Numeric format an op runs in (maps to the emulator's Dtype).</summary>
public enum OpFormat { Bf16, Fp16, Fp8, Fp32 }

/// <summary>Memory-streaming op kinds (a subset of the emulator's ElementwiseKind).</summary>
public enum ElementwiseOpKind { RmsNorm, LayerNorm, SwiGlu, Gelu, Rope, Quantize, MoeGating, Copy, Softmax }

/// <summary>Collective kinds (the emulator's CollectiveKind).</summary>
public enum CollectiveOpKind { AllReduce, AllGather, ReduceScatter, AllToAll, SendRecv }

/// <summary>
/// One operation at a concrete shape, as a device would run it on one accelerator. Records compare by value,
/// so callers can cache timings per distinct shape (use <see cref="Key"/>, which drops the label).
/// </summary>
public abstract record OpShape(string Name, OpFormat Format)
{
    /// <summary>The shape without its label: equal keys time identically. (A method, so records do not print it.)</summary>
    public OpShape Key() => Name.Length == 0 ? this : this with { Name = "" };
}

/// <summary>C[batch, m, n] = A[batch, m, k] · B[batch, k, n].</summary>
public sealed record GemmShape(string Name, OpFormat Format, long M, long N, long K, long Batch = 1) : OpShape(Name, Format)
{
    public double Flops => 2.0 * M * N * K * Math.Max(1, Batch);
}

/// <summary><see cref="Groups"/> GEMMs (MoE experts) of <see cref="MPerGroup"/> rows each, shared n and k.</summary>
public sealed record GroupedGemmShape(string Name, OpFormat Format, long Groups, long MPerGroup, long N, long K) : OpShape(Name, Format)
{
    public double Flops => 2.0 * Groups * MPerGroup * N * K;
}

/// <summary>Scaled-dot-product attention (score and context GEMMs plus softmax).</summary>
public sealed record AttentionShape(string Name, OpFormat Format, long Batch, long QueryLen, long KvLen,
    long Heads, long KvHeads, long HeadDimQk, long HeadDimV, bool Causal) : OpShape(Name, Format);

public sealed record ElementwiseShape(string Name, OpFormat Format, ElementwiseOpKind Kind, long Elements) : OpShape(Name, Format);

/// <summary>A collective over <see cref="Ranks"/> accelerators, <see cref="RanksPerNode"/> of them in one scale-up domain.</summary>
public sealed record CollectiveShape(string Name, OpFormat Format, CollectiveOpKind Kind, long Bytes, int Ranks, int RanksPerNode) : OpShape(Name, Format);
