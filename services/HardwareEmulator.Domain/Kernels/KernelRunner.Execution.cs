using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Memory;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Kernels;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Domain.Kernels;

/// <summary>The real kernels a call runs (SIMD on the host) and their accuracy report.</summary>
public sealed partial class KernelRunner
{
    private static (IReadOnlyList<TensorData>, AccuracyReport?) Execute(KernelCall call, float[][] x,
        CancellationToken ct)
    {
        try
        {
            return call switch
            {
                OpCall { Op: GemmShape g } c => RunGemm(c, g, x, ct),
                OpCall { Op: GroupedGemmShape gg } c => RunGrouped(c, gg, x, ct),
                OpCall { Op: AttentionShape a } c => RunAttention(c, a, x, ct),
                RowsCall r => (Rows(r, x), null),
                RopeCall r => (Rope(r, x), null),
                MoeGatingCall m => (Gating(m, x), null),
                QuantizeCall q => RunQuantize(q, x),
                _ => throw new InvalidFieldException("kernel", "unsupported kernel"),
            };
        }
        catch (KernelArgumentException e)
        {
            throw new InvalidFieldException(FieldOf(call, e.ParamName), e.Reason);
        }
    }

    /// <summary>Maps a kernel parameter name to the request field it came from.</summary>
    private static string FieldOf(KernelCall call, string? parameter) => parameter switch
    {
        "a" or "x" or "q" or "logits" or "codes" or "gate" => "inputs[0].values",
        "b" or "k" or "weight" or "gamma" or "scales" or "bScales" or "up" => "inputs[1].values",
        "v" or "beta" => "inputs[2].values",
        "topK" => $"{call.Field}.top_k",
        "groups" => $"{call.Field}.n_group",
        "topKGroups" => $"{call.Field}.topk_group",
        "headDim" => $"{call.Field}.head_dim",
        "eps" => $"{call.Field}.epsilon",
        "scalingFactor" => $"{call.Field}.routed_scaling_factor",
        null => call.Field,
        _ => $"{call.Field}.{parameter}",
    };

    private static GemmPrecision Precision(DataType t, string field) => t switch
    {
        DataType.Fp32 => GemmPrecision.Fp32,
        DataType.Bf16 => GemmPrecision.Bf16,
        DataType.Fp8E4M3 => GemmPrecision.Fp8E4M3,
        DataType.Fp8E5M2 => GemmPrecision.Fp8E5M2,
        _ =>
            throw new InvalidFieldException("dtype",
                $"{field} executes in FP32, BF16, FP8_E4M3 or FP8_E5M2, not {t} (use execute=false for timing only)"),
    };

    private static Fp8Format Format(DataType t, string field) => t switch
    {
        DataType.Fp8E4M3 => Fp8Format.E4M3,
        DataType.Fp8E5M2 => Fp8Format.E5M2,
        _ => throw new InvalidFieldException("dtype", $"{field} needs DTYPE_FP8_E4M3 or DTYPE_FP8_E5M2, not {t}"),
    };

    private static (IReadOnlyList<TensorData>, AccuracyReport?) RunGemm(OpCall call, GemmShape g, float[][] x,
        CancellationToken ct)
    {
        var p = Precision(g.Format, call.Field);
        int m = (int)g.M, n = (int)g.N, k = (int)g.K, batch = (int)Math.Max(1, g.Batch);
        var c = new float[checked(batch * m * n)];
        Gemm.Batched(x[0], x[1], c, batch, m, n, k, p);
        AccuracyReport? acc = null;
        if (p != GemmPrecision.Fp32)
        {
            ct.ThrowIfCancellationRequested();
            var reference = new float[c.Length];
            Gemm.Batched(x[0], x[1], reference, batch, m, n, k, GemmPrecision.Fp32);
            acc = Compare(c, reference);
        }
        return ([new TensorData(call.Outputs[0].Shape, c)], acc);
    }

    private static (IReadOnlyList<TensorData>, AccuracyReport?) RunGrouped(OpCall call, GroupedGemmShape g, float[][] x,
        CancellationToken ct)
    {
        var p = Precision(g.Format, call.Field);
        var rows = g.Rows.Select(r => (int)r).ToArray();
        int n = (int)g.N, k = (int)g.K;
        var c = new float[checked((int)g.Rows.Total * n)];
        Gemm.Grouped(x[0], x[1], c, rows, n, k, p);
        AccuracyReport? acc = null;
        if (p != GemmPrecision.Fp32)
        {
            ct.ThrowIfCancellationRequested();
            var reference = new float[c.Length];
            Gemm.Grouped(x[0], x[1], reference, rows, n, k, GemmPrecision.Fp32);
            acc = Compare(c, reference);
        }
        return ([new TensorData(call.Outputs[0].Shape, c)], acc);
    }

    /// <summary>Attention runs in FP32; BF16 rounds Q, K, V first and reports accuracy against the unrounded
    /// run.</summary>
    private static (IReadOnlyList<TensorData>, AccuracyReport?) RunAttention(OpCall call, AttentionShape a, float[][] x,
        CancellationToken ct)
    {
        if (a.Format is not (DataType.Fp32 or DataType.Bf16))
            throw new InvalidFieldException("dtype",
                $"{call.Field} executes in FP32 or BF16, not {a.Format} (use execute=false for timing only)");
        var o = new float[checked((int)call.Outputs[0].Elements)];
        void Run(float[] q, float[] k, float[] v, float[] output) => Attention.ScaledDotProduct(q, k, v, output,
            (int)a.Batch, (int)a.Heads, (int)a.KvHeads, (int)a.QueryLen, (int)a.KvLen, (int)a.HeadDimQk,
            (int)a.HeadDimV, a.Causal);
        if (a.Format == DataType.Fp32)
        {
            Run(x[0], x[1], x[2], o);
            return ([new TensorData(call.Outputs[0].Shape, o)], null);
        }
        var r = x.Select(t => { var y = new float[t.Length]; BFloat16.Round(t, y); return y; }).ToArray();
        Run(r[0], r[1], r[2], o);
        ct.ThrowIfCancellationRequested();
        var reference = new float[o.Length];
        Run(x[0], x[1], x[2], reference);
        return ([new TensorData(call.Outputs[0].Shape, o)], Compare(o, reference));
    }

    private static IReadOnlyList<TensorData> Rows(RowsCall r, float[][] x)
    {
        int rows = (int)r.Rows, cols = (int)r.Cols;
        var y = new float[checked(rows * cols)];
        switch (r.Kind)
        {
            case ElementwiseOpKind.Softmax: Softmax.Rows(x[0], y, rows, cols); break;
            case ElementwiseOpKind.RmsNorm: Normalization.RmsNorm(x[0], x[1], y, rows, cols, (float)r.Epsilon); break;
            case ElementwiseOpKind.LayerNorm:
                Normalization.LayerNorm(x[0], x[1], x[2], y, rows, cols, (float)r.Epsilon); break;
            case ElementwiseOpKind.Silu: Activations.Silu(x[0], y); break;
            case ElementwiseOpKind.Gelu: Activations.Gelu(x[0], y); break;
            case ElementwiseOpKind.SwiGlu:
                var gate = new float[y.Length];
                var up = new float[y.Length];
                for (int i = 0; i < rows; i++)
                {
                    x[0].AsSpan(i * 2 * cols, cols).CopyTo(gate.AsSpan(i * cols));
                    x[0].AsSpan(i * 2 * cols + cols, cols).CopyTo(up.AsSpan(i * cols));
                }
                Activations.SwiGlu(gate, up, y);
                break;
            default: throw new InvalidFieldException(r.Field, $"unsupported kind {r.Kind}");
        }
        StoreAs(r.Dtype, y);
        return [new TensorData(r.Outputs[0].Shape, y)];
    }

    private static IReadOnlyList<TensorData> Rope(RopeCall r, float[][] x)
    {
        int tokens = (int)r.Tokens;
        var positions = new int[tokens];
        for (int i = 0; i < tokens; i++) positions[i] = checked((int)(r.PositionOffset + i));
        var y = new float[x[0].Length];
        Rotary.Apply(x[0], y, positions, tokens, (int)r.Heads, (int)r.HeadDim, (float)r.Theta);
        StoreAs(r.Dtype, y);
        return [new TensorData(r.Outputs[0].Shape, y)];
    }

    private static IReadOnlyList<TensorData> Gating(MoeGatingCall m, float[][] x)
    {
        int tokens = (int)m.Tokens, k = (int)m.TopK;
        var indices = new int[tokens * k];
        var weights = new float[tokens * k];
        var routing = new MoeRouting(k, m.Sigmoid ? MoeScoring.Sigmoid : MoeScoring.Softmax,
            (int)Math.Max(1, m.Groups), (int)Math.Max(1, m.TopKGroups), true, (float)m.ScalingFactor);
        MoeGating.TopK(x[0], tokens, (int)m.Experts, routing, indices, weights);
        return [new TensorData(m.Outputs[0].Shape, indices.Select(i => (float)i).ToArray()),
            new TensorData(m.Outputs[1].Shape, weights)];
    }

    private static (IReadOnlyList<TensorData>, AccuracyReport?) RunQuantize(QuantizeCall q, float[][] x)
    {
        var format = Format(q.Dtype, q.Field);
        int rows = (int)q.Rows, cols = (int)q.Cols, block = (int)q.Block;
        var values = new float[checked(rows * cols)];
        if (q.Dequantize)
        {
            var codes = x[0].Select(c => (byte)c).ToArray();
            Quantization.DequantizeBlocks(codes, x[1], rows, cols, 1, block, format, values);
            return ([new TensorData(q.Outputs[0].Shape, values)], null);
        }
        var coded = new byte[values.Length];
        var scales = new float[Quantization.ScaleCount(rows, cols, 1, block)];
        Quantization.QuantizeBlocks(x[0], rows, cols, 1, block, format, coded, scales);
        Quantization.DequantizeBlocks(coded, scales, rows, cols, 1, block, format, values);
        return ([new TensorData(q.Outputs[0].Shape, values), new TensorData(q.Outputs[1].Shape, scales)],
            Compare(values, x[0]));
    }

    /// <summary>Element-wise kernels compute in FP32 and store in the dtype: BF16 outputs are rounded.</summary>
    private static void StoreAs(DataType t, float[] y)
    {
        if (t == DataType.Bf16) BFloat16.Round(y, y);
    }

    /// <summary>DeepGEMM's calc_diff: 1 − 2Σxy / Σ(x² + y²), in double; plus the largest absolute
    /// error.</summary>
    public static AccuracyReport Compare(ReadOnlySpan<float> x, ReadOnlySpan<float> reference)
    {
        double xy = 0, sq = 0, maxAbs = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double a = x[i], b = reference[i];
            xy += a * b;
            sq += a * a + b * b;
            maxAbs = Math.Max(maxAbs, Math.Abs(a - b));
        }
        return new AccuracyReport(sq > 0 ? 1 - 2 * xy / sq : 0, maxAbs);
    }
}
