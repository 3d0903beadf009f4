using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;

namespace HardwareEmulator.Domain.Kernels;

/// <summary>A kernel to run or time, with its validated shape. <see cref="Field"/> is the request path of the kernel
/// (e.g. "kernel.gemm").</summary>
public abstract record KernelCall(DataType Dtype, string Field)
{
    /// <summary>Expected input tensors, in order: role name and shape.</summary>
    public abstract IReadOnlyList<TensorShape> Inputs { get; }

    /// <summary>Output tensors, in order.</summary>
    public abstract IReadOnlyList<TensorShape> Outputs { get; }

    /// <summary>The op the timing model sees.</summary>
    public abstract OpShape ToOp();
}

/// <summary>A tensor's role (e.g. "A") and shape.</summary>
public sealed record TensorShape(string Role, long[] Shape)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => checked(a * b));
    public override string ToString() => $"{Role} [{string.Join(',', Shape)}]";
}

/// <summary>
/// A matrix kernel posed as an op of the platform's one vocabulary: a GEMM (<see cref="GemmShape"/>), a grouped GEMM
/// (<see cref="GroupedGemmShape"/>) or attention (<see cref="AttentionShape"/>); the tensors follow from the shape.
/// </summary>
public sealed record OpCall(OpShape Op, string KernelField) : KernelCall(Op.Format, KernelField)
{
    public override IReadOnlyList<TensorShape> Inputs => Op switch
    {
        GemmShape { Batch: > 1 } g => [new("A", [g.Batch, g.M, g.K]), new("B", [g.Batch, g.K, g.N])],
        GemmShape g => [new("A", [g.M, g.K]), new("B", [g.K, g.N])],
        GroupedGemmShape g => [new("A", [g.Rows.Total, g.K]), new("B", [g.Rows.Count, g.K, g.N])],
        AttentionShape a =>
        [
            new("Q", [a.Batch, a.Heads, a.QueryLen, a.HeadDimQk]),
            new("K", [a.Batch, a.KvHeads, a.KvLen, a.HeadDimQk]),
            new("V", [a.Batch, a.KvHeads, a.KvLen, a.HeadDimV]),
        ],
        _ => throw new InvalidOperationException($"no kernel runs {Op.GetType().Name}"),
    };

    public override IReadOnlyList<TensorShape> Outputs => Op switch
    {
        GemmShape { Batch: > 1 } g => [new("C", [g.Batch, g.M, g.N])],
        GemmShape g => [new("C", [g.M, g.N])],
        GroupedGemmShape g => [new("C", [g.Rows.Total, g.N])],
        AttentionShape a => [new("O", [a.Batch, a.Heads, a.QueryLen, a.HeadDimV])],
        _ => throw new InvalidOperationException($"no kernel runs {Op.GetType().Name}"),
    };

    public override OpShape ToOp() => Op;
}

/// <summary>Row-wise kernels: softmax, RMSNorm, LayerNorm, SiLU, GELU, SwiGLU over [rows, cols].</summary>
public sealed record RowsCall(DataType Dtype, ElementwiseOpKind Kind, long Rows, long Cols, double Epsilon,
    string KernelField)
    : KernelCall(Dtype, KernelField)
{
    public override IReadOnlyList<TensorShape> Inputs => Kind switch
    {
        ElementwiseOpKind.RmsNorm => [new("x", [Rows, Cols]), new("weight", [Cols])],
        ElementwiseOpKind.LayerNorm => [new("x", [Rows, Cols]), new("weight", [Cols]), new("bias", [Cols])],
        ElementwiseOpKind.SwiGlu => [new("x", [Rows, 2 * Cols])],
        _ => [new("x", [Rows, Cols])],
    };
    public override IReadOnlyList<TensorShape> Outputs => [new("y", [Rows, Cols])];
    public override OpShape ToOp() =>
        new ElementwiseShape(KernelField, Dtype, Kind,
            Kind == ElementwiseOpKind.SwiGlu ? 2 * Rows * Cols : Rows * Cols);
}

public sealed record RopeCall(DataType Dtype, long Tokens, long Heads, long HeadDim, double Theta, long PositionOffset)
    : KernelCall(Dtype, "kernel.rope")
{
    public override IReadOnlyList<TensorShape> Inputs => [new("x", [Tokens, Heads, HeadDim])];
    public override IReadOnlyList<TensorShape> Outputs => [new("y", [Tokens, Heads, HeadDim])];
    public override OpShape ToOp() =>
        new ElementwiseShape("rope", Dtype, ElementwiseOpKind.Rope, Tokens * Heads * HeadDim);
}

public sealed record MoeGatingCall(DataType Dtype, long Tokens, long Experts, long TopK, long Groups, long TopKGroups,
    bool Sigmoid, double ScalingFactor) : KernelCall(Dtype, "kernel.moe_gating")
{
    public override IReadOnlyList<TensorShape> Inputs => [new("logits", [Tokens, Experts])];
    public override IReadOnlyList<TensorShape> Outputs =>
        [new("indices", [Tokens, TopK]), new("weights", [Tokens, TopK])];
    public override OpShape ToOp() =>
        new ElementwiseShape("moe_gating", Dtype, ElementwiseOpKind.MoeGating, Tokens * Experts);
}

/// <summary>Block-scaled FP8 quantize (x → dequantized x̂ and scales) or dequantize (codes, scales → x).</summary>
public sealed record QuantizeCall(DataType Dtype, long Rows, long Cols, long Block, bool Dequantize)
    : KernelCall(Dtype, Dequantize ? "kernel.dequantize" : "kernel.quantize")
{
    public long ScaleCols => (Cols + Block - 1) / Block;
    public override IReadOnlyList<TensorShape> Inputs =>
        Dequantize ? [new("codes", [Rows, Cols]), new("scales", [Rows, ScaleCols])] : [new("x", [Rows, Cols])];
    public override IReadOnlyList<TensorShape> Outputs =>
        Dequantize ? [new("x", [Rows, Cols])] : [new("dequantized", [Rows, Cols]), new("scales", [Rows, ScaleCols])];
    public override OpShape ToOp() =>
        new ElementwiseShape(Field, Dtype, Dequantize ? ElementwiseOpKind.Dequantize : ElementwiseOpKind.Quantize,
            Rows * Cols);
}
