using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Kernels;
using HardwareEmulator.Domain.Memory;
using HardwareEmulator.Domain.Timing;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Mapping;
using Platform.Modeling.Errors;
using static Platform.Contracts.Mapping.OpSpecMapping;

namespace HardwareEmulator.Mapping;

/// <summary>RunKernel request → validated <see cref="KernelCall"/>, and kernel results → response.</summary>
internal static class KernelMapping
{
    public static KernelCall ToCall(RunKernelRequest r)
    {
        var k = r.Kernel ?? throw new InvalidFieldException("kernel", "is required: one of gemm, grouped_gemm, attention, softmax, norm, activation, rope, moe_gating, quantize, dequantize");
        var dt = ToDomain(r.Dtype, "dtype");
        switch (k.KernelCase)
        {
            case Kernel.KernelOneofCase.Gemm:
                ValidateGemm(k.Gemm, "kernel.gemm");
                return new OpCall(new GemmShape("gemm", dt, k.Gemm.M, k.Gemm.N, k.Gemm.K, Math.Max(1, k.Gemm.Batch)), "kernel.gemm");
            case Kernel.KernelOneofCase.GroupedGemm:
                ValidateGrouped(k.GroupedGemm, "kernel.grouped_gemm");
                return new OpCall(new GroupedGemmShape("grouped_gemm", dt, GroupRows.Of(k.GroupedGemm.MPerGroup), k.GroupedGemm.N, k.GroupedGemm.K),
                    "kernel.grouped_gemm");
            case Kernel.KernelOneofCase.Attention:
                var a = k.Attention;
                long kvHeads = ValidateAttention(a, "kernel.attention");
                if (a.Causal && a.QueryLen > a.KvLen)
                    throw new InvalidFieldException("kernel.attention.query_len", $"must not exceed kv_len ({a.KvLen}) when causal: queries are the last positions of the sequence");
                return new OpCall(new AttentionShape("attention", dt, a.Batch, a.QueryLen, a.KvLen, a.NumHeads, kvHeads, a.HeadDimQk,
                    a.HeadDimV == 0 ? a.HeadDimQk : a.HeadDimV, a.Causal), "kernel.attention");
            case Kernel.KernelOneofCase.Softmax:
                Positive(k.Softmax.Rows, "kernel.softmax.rows"); Positive(k.Softmax.Cols, "kernel.softmax.cols");
                return new RowsCall(dt, ElementwiseOpKind.Softmax, k.Softmax.Rows, k.Softmax.Cols, 0, "kernel.softmax");
            case Kernel.KernelOneofCase.Norm:
            {
                var n = k.Norm;
                var kind = n.Kind switch
                {
                    NormKind.Rmsnorm => ElementwiseOpKind.RmsNorm,
                    NormKind.Layernorm => ElementwiseOpKind.LayerNorm,
                    _ => throw new InvalidFieldException("kernel.norm.kind", "is required (NORM_KIND_RMSNORM or NORM_KIND_LAYERNORM)"),
                };
                Positive(n.Rows, "kernel.norm.rows"); Positive(n.Cols, "kernel.norm.cols");
                if (!double.IsFinite(n.Epsilon) || n.Epsilon < 0) throw new InvalidFieldException("kernel.norm.epsilon", $"must be finite and non-negative (got {n.Epsilon})");
                return new RowsCall(dt, kind, n.Rows, n.Cols, n.Epsilon > 0 ? n.Epsilon : 1e-6, "kernel.norm");
            }
            case Kernel.KernelOneofCase.Activation:
            {
                var act = k.Activation;
                var kind = act.Kind switch
                {
                    ActivationKind.Silu => ElementwiseOpKind.Silu,
                    ActivationKind.Gelu => ElementwiseOpKind.Gelu,
                    ActivationKind.Swiglu => ElementwiseOpKind.SwiGlu,
                    _ => throw new InvalidFieldException("kernel.activation.kind", "is required (ACTIVATION_KIND_SILU, _GELU or _SWIGLU)"),
                };
                Positive(act.Rows, "kernel.activation.rows"); Positive(act.Cols, "kernel.activation.cols");
                return new RowsCall(dt, kind, act.Rows, act.Cols, 0, "kernel.activation");
            }
            case Kernel.KernelOneofCase.Rope:
            {
                var rp = k.Rope;
                Positive(rp.Tokens, "kernel.rope.tokens"); Positive(rp.Heads, "kernel.rope.heads"); Positive(rp.HeadDim, "kernel.rope.head_dim");
                if (rp.HeadDim % 2 != 0) throw new InvalidFieldException("kernel.rope.head_dim", $"must be even (got {rp.HeadDim})");
                if (!double.IsFinite(rp.Theta) || rp.Theta < 0) throw new InvalidFieldException("kernel.rope.theta", $"must be positive (got {rp.Theta})");
                if (rp.PositionOffset < 0) throw new InvalidFieldException("kernel.rope.position_offset", "must not be negative");
                return new RopeCall(dt, rp.Tokens, rp.Heads, rp.HeadDim, rp.Theta > 0 ? rp.Theta : 10000, rp.PositionOffset);
            }
            case Kernel.KernelOneofCase.MoeGating:
            {
                var g = k.MoeGating;
                Positive(g.Tokens, "kernel.moe_gating.tokens"); Positive(g.Experts, "kernel.moe_gating.experts"); Positive(g.TopK, "kernel.moe_gating.top_k");
                if (g.TopK > g.Experts) throw new InvalidFieldException("kernel.moe_gating.top_k", $"must not exceed experts ({g.Experts})");
                long groups = Math.Max(1, g.NGroup), keep = g.TopkGroup == 0 ? groups : g.TopkGroup;
                if (g.NGroup < 0 || g.Experts % groups != 0) throw new InvalidFieldException("kernel.moe_gating.n_group", $"must divide experts ({g.Experts})");
                if (keep < 1 || keep > groups) throw new InvalidFieldException("kernel.moe_gating.topk_group", $"must be within 1..n_group ({groups})");
                if (keep * (g.Experts / groups) < g.TopK) throw new InvalidFieldException("kernel.moe_gating.topk_group", $"keeps too few experts for top_k = {g.TopK}");
                if (!double.IsFinite(g.RoutedScalingFactor) || g.RoutedScalingFactor < 0) throw new InvalidFieldException("kernel.moe_gating.routed_scaling_factor", "must be finite and non-negative");
                return new MoeGatingCall(dt, g.Tokens, g.Experts, g.TopK, groups, keep, g.SigmoidScoring, g.RoutedScalingFactor > 0 ? g.RoutedScalingFactor : 1);
            }
            case Kernel.KernelOneofCase.Quantize:
                Positive(k.Quantize.Rows, "kernel.quantize.rows"); Positive(k.Quantize.Cols, "kernel.quantize.cols");
                if (k.Quantize.Block < 0) throw new InvalidFieldException("kernel.quantize.block", "must not be negative (0 means 128)");
                return new QuantizeCall(dt, k.Quantize.Rows, k.Quantize.Cols, k.Quantize.Block > 0 ? k.Quantize.Block : 128, false);
            case Kernel.KernelOneofCase.Dequantize:
                Positive(k.Dequantize.Rows, "kernel.dequantize.rows"); Positive(k.Dequantize.Cols, "kernel.dequantize.cols");
                if (k.Dequantize.Block < 0) throw new InvalidFieldException("kernel.dequantize.block", "must not be negative (0 means 128)");
                return new QuantizeCall(dt, k.Dequantize.Rows, k.Dequantize.Cols, k.Dequantize.Block > 0 ? k.Dequantize.Block : 128, true);
            default:
                throw new InvalidFieldException("kernel", "is required: one of gemm, grouped_gemm, attention, softmax, norm, activation, rope, moe_gating, quantize, dequantize");
        }
    }

    public static IReadOnlyList<TensorData> Inputs(RunKernelRequest r)
    {
        var list = new TensorData[r.Inputs.Count];
        for (int i = 0; i < list.Length; i++)
        {
            var t = r.Inputs[i];
            for (int d = 0; d < t.Shape.Count; d++)
                if (t.Shape[d] <= 0) throw new InvalidFieldException($"inputs[{i}].shape", $"dimension {d} is {t.Shape[d]}; dimensions must be positive");
            list[i] = new TensorData(t.Shape.ToArray(), t.Values.ToArray());
        }
        return list;
    }

    public static RunKernelResponse ToProto(KernelCall call, KernelResult result)
    {
        var response = new RunKernelResponse
        {
            Timing = OpSpecMapping.ToProto(call.Field["kernel.".Length..], result.Timing),
            Memory = new DeviceMemory
            {
                InputBytes = result.Memory.InputBytes,
                OutputBytes = result.Memory.OutputBytes,
                WorkspaceBytes = result.Memory.WorkspaceBytes,
                CapacityBytes = result.CapacityBytes,
            },
            Executed = result.Executed,
        };
        foreach (var o in result.Outputs)
        {
            var t = new Tensor();
            t.Shape.AddRange(o.Shape);
            t.Values.AddRange(o.Values);
            response.Outputs.Add(t);
        }
        if (result.Accuracy is { } acc)
            response.Accuracy = new Accuracy { Diff = acc.Diff, MaxAbsError = acc.MaxAbsError, ReferenceDtype = Platform.Contracts.Common.V1.Dtype.Fp32 };
        return response;
    }

    /// <summary>RunKernel for one request (shared with the bus consumer).</summary>
    public static RunKernelResponse Run(RunKernelRequest request, DeviceCatalog catalog, KernelRunner runner, EmulatorOptions options)
    {
        int size = request.CalculateSize();
        if (size > options.MaxMessageBytes)
            throw new LimitExceededException("inputs", $"the request is {size:N0} bytes, more than Emulator:MaxMessageBytes = {options.MaxMessageBytes:N0}", size, options.MaxMessageBytes);
        var device = catalog.Get(request.Device, "device");
        var call = ToCall(request);
        var inputs = Inputs(request);
        bool execute = !request.HasExecute || request.Execute;
        var result = runner.Run(device, call, inputs, execute, request.HasSeed ? request.Seed : null);
        return ToProto(call, result);
    }
}
