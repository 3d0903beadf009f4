using Platform.Modeling.Telemetry;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Kernels;
using HardwareEmulator.Domain.Memory;
using HardwareEmulator.Domain.Timing;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Mapping;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Validation;
using HardwareEmulator.Mapping.Validation;

namespace HardwareEmulator.Mapping;

/// <summary>
/// RunKernel request → <see cref="KernelCall"/>, and kernel results → response. The request's shape is checked by
/// <see cref="RunKernelRequestValidator"/> first (<see cref="Run"/>); the mapping fills in defaults.
/// </summary>
internal static class KernelMapping
{
    private const string Unvalidated = "the request was not validated (RunKernelRequestValidator)";

    public static KernelCall ToCall(RunKernelRequest r)
    {
        var k = r.Kernel ?? throw new ArgumentException(Unvalidated, nameof(r));
        var dt = OpSpecMapping.ToDomain(r.Dtype, "dtype");
        switch (k.KernelCase)
        {
            case Kernel.KernelOneofCase.Gemm:
                return new OpCall(new GemmShape("gemm", dt, k.Gemm.M, k.Gemm.N, k.Gemm.K, Math.Max(1, k.Gemm.Batch)),
                    "kernel.gemm");
            case Kernel.KernelOneofCase.GroupedGemm:
                return new OpCall(new GroupedGemmShape("grouped_gemm", dt, GroupRows.Of(k.GroupedGemm.MPerGroup),
                    k.GroupedGemm.N, k.GroupedGemm.K), "kernel.grouped_gemm");
            case Kernel.KernelOneofCase.Attention:
                var a = k.Attention;
                long kvHeads = a.NumKvHeads == 0 ? a.NumHeads : a.NumKvHeads;
                return new OpCall(new AttentionShape("attention", dt, a.Batch, a.QueryLen, a.KvLen, a.NumHeads, kvHeads,
                    a.HeadDimQk, a.HeadDimV == 0 ? a.HeadDimQk : a.HeadDimV, a.Causal), "kernel.attention");
            case Kernel.KernelOneofCase.Softmax:
                return new RowsCall(dt, ElementwiseOpKind.Softmax, k.Softmax.Rows, k.Softmax.Cols, 0, "kernel.softmax");
            case Kernel.KernelOneofCase.Norm:
            {
                var n = k.Norm;
                var kind = n.Kind switch
                {
                    NormKind.Rmsnorm => ElementwiseOpKind.RmsNorm,
                    NormKind.Layernorm => ElementwiseOpKind.LayerNorm,
                    _ => throw new ArgumentException(Unvalidated, nameof(r)),
                };
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
                    _ => throw new ArgumentException(Unvalidated, nameof(r)),
                };
                return new RowsCall(dt, kind, act.Rows, act.Cols, 0, "kernel.activation");
            }
            case Kernel.KernelOneofCase.Rope:
            {
                var rp = k.Rope;
                return new RopeCall(dt, rp.Tokens, rp.Heads, rp.HeadDim, rp.Theta > 0 ? rp.Theta : 10000,
                    rp.PositionOffset);
            }
            case Kernel.KernelOneofCase.MoeGating:
            {
                var g = k.MoeGating;
                long groups = Math.Max(1, g.NGroup), keep = g.TopkGroup == 0 ? groups : g.TopkGroup;
                return new MoeGatingCall(dt, g.Tokens, g.Experts, g.TopK, groups, keep, g.SigmoidScoring,
                    g.RoutedScalingFactor > 0 ? g.RoutedScalingFactor : 1);
            }
            case Kernel.KernelOneofCase.Quantize:
                return new QuantizeCall(dt, k.Quantize.Rows, k.Quantize.Cols,
                    k.Quantize.Block > 0 ? k.Quantize.Block : 128, false);
            case Kernel.KernelOneofCase.Dequantize:
                return new QuantizeCall(dt, k.Dequantize.Rows, k.Dequantize.Cols,
                    k.Dequantize.Block > 0 ? k.Dequantize.Block : 128, true);
            default:
                throw new ArgumentException(Unvalidated, nameof(r));
        }
    }

    public static IReadOnlyList<TensorData> Inputs(RunKernelRequest r)
    {
        var list = new TensorData[r.Inputs.Count];
        for (int i = 0; i < list.Length; i++)
            list[i] = new TensorData(r.Inputs[i].Shape.ToArray(), r.Inputs[i].Values.ToArray());
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
            response.Accuracy = new Accuracy
            {
                Diff = acc.Diff, MaxAbsError = acc.MaxAbsError,
                ReferenceDtype = Platform.Contracts.Common.V1.Dtype.Fp32,
            };
        return response;
    }

    /// <summary>
    /// RunKernel for one request (shared with the bus consumer): size limit, validation, device, kernel.
    /// </summary>
    public static RunKernelResponse Run(RunKernelRequest request, DeviceCatalog catalog, KernelRunner runner,
        EmulatorOptions options, CancellationToken ct = default)
    {
        int size = request.CalculateSize();
        if (size > options.MaxMessageBytes)
            throw new LimitExceededException("inputs",
                $"the request is {size:N0} bytes, more than Emulator:MaxMessageBytes = {options.MaxMessageBytes:N0}",
                size, options.MaxMessageBytes);
        EmulatorValidators.RunKernel.ThrowIfInvalid(request);
        var device = catalog.Get(request.Device, "device");
        var call = ToCall(request);
        var inputs = Inputs(request);
        bool execute = !request.HasExecute || request.Execute;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = runner.Run(device, call, inputs, execute, request.HasSeed ? request.Seed : null, ct);
        Measure(call, device.Id, result, System.Diagnostics.Stopwatch.GetElapsedTime(start));
        return ToProto(call, result);
    }

    /// <summary>
    /// platform.emulator.modelled_tflops (the device's modelled throughput for the kernel) and, for a kernel
    /// executed on this host's CPU, platform.emulator.kernel_gflops (its FLOPs over the run's wall time).
    /// </summary>
    private static void Measure(KernelCall call, string device, KernelResult result, TimeSpan wall)
    {
        if (!PlatformMetrics.ModelledTflops.Enabled && !PlatformMetrics.KernelGflops.Enabled) return;
        var kernel = new KeyValuePair<string, object?>("kernel", call.Field["kernel.".Length..]);
        PlatformMetrics.ModelledTflops.Record(result.Timing.AchievedTflops, kernel,
            new KeyValuePair<string, object?>("device", device));
        if (result.Executed && wall > TimeSpan.Zero && result.Timing.Flops > 0)
            PlatformMetrics.KernelGflops.Record(result.Timing.Flops / wall.TotalSeconds / 1e9, kernel);
    }
}
