using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Memory;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Kernels;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Domain.Kernels;

/// <summary>A dense row-major tensor.</summary>
public sealed record TensorData(long[] Shape, float[] Values);

/// <summary>Accuracy of a low-precision run against FP32 on the same inputs (DeepGEMM's diff metric).</summary>
public sealed record AccuracyReport(double Diff, double MaxAbsError);

/// <summary>What one kernel call produced.</summary>
public sealed record KernelResult(IReadOnlyList<TensorData> Outputs, OpTime Timing, MemoryUse Memory,
    long CapacityBytes, AccuracyReport? Accuracy, bool Executed);

/// <summary>
/// Runs one kernel: reserves its device memory, models its device time, and (when asked) executes it on the CPU
/// through the HardwareEmulator.Kernels API. Host limits come from <see cref="EmulatorOptions"/>.
/// </summary>
public sealed partial class KernelRunner(TimingModel timing, EmulatorOptions options)
{
    /// <summary>Largest magnitude of an input value (and of a dequantization scale): beyond it FP32 outputs of the
    /// largest allowed kernels could overflow to Infinity.</summary>
    public const float MaxInputMagnitude = 1e15f;

    /// <summary>
    /// Runs <paramref name="call"/>. <paramref name="ct"/> is observed between the stages of an execution (drawing
    /// inputs, the run, the FP32 reference run); each stage is bounded by the host limits.
    /// </summary>
    public KernelResult Run(DeviceSpec device, KernelCall call, IReadOnlyList<TensorData> inputs, bool execute,
        ulong? seed, CancellationToken ct = default)
    {
        try { return RunChecked(device, call, inputs, execute, seed, ct); }
        catch (OverflowException)
        {
            throw new LimitExceededException(call.Field,
                "tensor sizes overflow 64-bit element or 32-bit dimension counts", double.PositiveInfinity,
                long.MaxValue);
        }
    }

    private KernelResult RunChecked(DeviceSpec device, KernelCall call, IReadOnlyList<TensorData> inputs, bool execute,
        ulong? seed, CancellationToken ct)
    {
        var memory = MemoryOf(call);
        var hbm = new VirtualDeviceMemory(device);
        hbm.Allocate(memory.InputBytes, $"inputs ({string.Join(", ", call.Inputs)})", "inputs");
        hbm.Allocate(memory.OutputBytes, $"outputs ({string.Join(", ", call.Outputs)})", call.Field);
        hbm.Allocate(memory.WorkspaceBytes, "workspace (FP8 scales)", call.Field);
        var time = TimingModel.Estimate(timing.For(device), call.ToOp(), call.Field);

        if (!execute)
        {
            if (inputs.Count > 0)
                throw new InvalidFieldException("inputs", "must be empty when execute is false (timing only)");
            return new KernelResult([], time, memory, hbm.Capacity, null, false);
        }
        CheckHostLimits(call);
        ct.ThrowIfCancellationRequested();
        var data = inputs.Count > 0 ? Validate(call, inputs)
            : Draw(call, seed ?? throw new InvalidFieldException("inputs",
            $"needs {call.Inputs.Count} tensor(s) ({string.Join(", ", call.Inputs)}) or a seed"));
        ct.ThrowIfCancellationRequested();
        var (outputs, accuracy) = Execute(call, data, ct);
        return new KernelResult(outputs, time, memory, hbm.Capacity, accuracy, true);
    }

    /// <summary>Device bytes: inputs and outputs at the dtype's width (GEMM outputs at the accumulator's store width),
    /// FP8 scales as workspace.</summary>
    public static MemoryUse MemoryOf(KernelCall call)
    {
        long inB = DeviceSpec.BytesPerElement(call.Dtype);
        long input = 0, output = 0, workspace = 0;
        foreach (var t in call.Inputs) input = checked(input + t.Elements * inB);
        long outB = call is OpCall { Op: GemmShape or GroupedGemmShape } ? DeviceSpec.OutputBytesPerElement(call.Dtype)
            : inB;
        foreach (var t in call.Outputs) output = checked(output + t.Elements * outB);
        if (call.Dtype is DataType.Fp8E4M3 or DataType.Fp8E5M2)
            foreach (var t in call.Inputs) workspace = checked(workspace + (t.Elements + 127) / 128 * 4);
        return new MemoryUse(input, output, workspace);
    }

    private void CheckHostLimits(KernelCall call)
    {
        long elements = 0;
        foreach (var t in call.Inputs) elements = checked(elements + t.Elements);
        foreach (var t in call.Outputs) elements = checked(elements + t.Elements);
        if (elements > options.MaxElementsPerCall)
            throw new LimitExceededException(call.Field,
                $"executing needs {elements:N0} elements on the host, more than Emulator:MaxElementsPerCall = " +
                $"{options.MaxElementsPerCall:N0}; use execute=false for timing only",
                elements, options.MaxElementsPerCall);
        double flops = call.ToOp() switch
        {
            GemmShape g => g.Flops,
            GroupedGemmShape gg => gg.Flops,
            AttentionShape a => TimingModel.AttentionFlops(a),
            _ => 0,
        };
        if (flops > options.MaxFlopsPerCall)
            throw new LimitExceededException(call.Field,
                $"executing needs {flops:G3} FLOPs on the host, more than Emulator:MaxFlopsPerCall = " +
                $"{options.MaxFlopsPerCall:G3}; use execute=false for timing only",
                flops, options.MaxFlopsPerCall);
        long outputBytes = call.Outputs.Sum(o => o.Elements) * 5 + 64; // packed float plus shape
        if (outputBytes > options.MaxMessageBytes)
            throw new LimitExceededException(call.Field,
                $"the outputs need about {outputBytes:N0} bytes, more than Emulator:MaxMessageBytes = " +
                $"{options.MaxMessageBytes:N0}",
                outputBytes, options.MaxMessageBytes);
    }

    private static float[][] Validate(KernelCall call, IReadOnlyList<TensorData> inputs)
    {
        var expected = call.Inputs;
        if (inputs.Count != expected.Count)
            throw new InvalidFieldException("inputs",
                $"{call.Field} takes {expected.Count} input(s): {string.Join(", ", expected)}; got {inputs.Count}");
        var data = new float[inputs.Count][];
        for (int i = 0; i < inputs.Count; i++)
        {
            var want = expected[i].Shape;
            if (!inputs[i].Shape.SequenceEqual(want))
                throw new InvalidFieldException($"inputs[{i}].shape",
                    $"is [{string.Join(',', inputs[i].Shape)}], {call.Field} expects {expected[i]}");
            if (inputs[i].Values.Length != expected[i].Elements)
                throw new InvalidFieldException($"inputs[{i}].values",
                    $"has {inputs[i].Values.Length} values, shape [{string.Join(',', want)}] needs " +
                    $"{expected[i].Elements}");
            data[i] = inputs[i].Values;
        }
        if (call is QuantizeCall { Dequantize: true })
        {
            var codes = data[0];
            for (int j = 0; j < codes.Length; j++)
                if (!(codes[j] >= 0 && codes[j] <= 255 && codes[j] == MathF.Floor(codes[j])))
                    throw new InvalidFieldException("inputs[0].values",
                        $"[{j}] = {codes[j]}: FP8 codes are integers 0-255");
            var scales = data[1];
            for (int j = 0; j < scales.Length; j++)
                if (!float.IsFinite(scales[j]) || scales[j] <= 0)
                    throw new InvalidFieldException("inputs[1].values",
                        $"[{j}] = {scales[j]}: scales must be finite and positive");
                else if (scales[j] > MaxInputMagnitude)
                    throw new InvalidFieldException("inputs[1].values",
                        $"[{j}] = {scales[j]}: scales must be at most 1e15");
        }
        else
        {
            for (int i = 0; i < data.Length; i++)
                for (int j = 0; j < data[i].Length; j++)
                    if (!float.IsFinite(data[i][j]))
                        throw new InvalidFieldException($"inputs[{i}].values",
                            $"[{j}] = {data[i][j]}: values must be finite");
                    else if (Math.Abs(data[i][j]) > MaxInputMagnitude)
                        throw new InvalidFieldException($"inputs[{i}].values",
                            $"[{j}] = {data[i][j]}: values must be within ±1e15");
        }
        return data;
    }

    /// <summary>Inputs from a deterministic standard normal (Box–Muller over a seeded System.Random).</summary>
    private static float[][] Draw(KernelCall call, ulong seed)
    {
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var shapes = call.Inputs;
        var data = new float[shapes.Count][];
        for (int i = 0; i < shapes.Count; i++)
        {
            var v = new float[checked((int)shapes[i].Elements)];
            for (int j = 0; j < v.Length; j++)
            {
                double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
                v[j] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
            data[i] = v;
        }
        if (call is QuantizeCall { Dequantize: true } q)
        {
            // Codes and scales of a quantized normal tensor, so the pair is consistent.
            var codes = new byte[data[0].Length];
            var scales = new float[data[1].Length];
            Quantization.QuantizeBlocks(data[0], (int)q.Rows, (int)q.Cols, 1, (int)q.Block, Format(q.Dtype, q.Field),
                codes, scales);
            data[0] = codes.Select(c => (float)c).ToArray();
            data[1] = scales;
        }
        return data;
    }
}
