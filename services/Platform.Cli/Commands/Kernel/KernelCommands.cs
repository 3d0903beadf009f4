using System.ComponentModel;
using Platform.Cli.Charts;
using Platform.Cli.Commands.Train;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Spectre.Console;
using Spectre.Console.Cli;
using static Platform.Cli.Infrastructure.Output;

namespace Platform.Cli.Commands.Kernel;

public sealed class KernelSettings : ChartSettings
{
    [CommandOption("--device <ID>")]
    [Description("Accelerator id (default h800)")]
    public string Device { get; init; } = "h800";
    [CommandOption("--shape <MxNxK>")]
    [Description("GEMM C[m,n] = A[m,k] B[k,n] as MxNxK (default 256x256x256)")]
    public string Shape { get; init; } = "256x256x256";

    public GemmOp Gemm()
    {
        var parts = Shape.Split('x', 'X', '*');
        if (parts.Length != 3)
            throw new CliUsageException($"--shape: '{Connection.Clip(Shape)}' is not MxNxK (e.g. 512x512x1024)");
        return new GemmOp
        {
            M = Parse.Count("--shape", parts[0]), N = Parse.Count("--shape", parts[1]),
            K = Parse.Count("--shape", parts[2]),
        };
    }

    [CommandOption("--dtype <D>")]
    [Description("Compute format: fp32, bf16 (default), fp8-e4m3 or fp8-e5m2; inputs are rounded to it")]
    public string Dtype { get; init; } = "bf16";

    [CommandOption("--no-execute")]
    [Description("Model the timing only (for shapes too large to run on the CPU)")]
    public bool NoExecute { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of the random inputs (default 1)")]
    public ulong Seed { get; init; } = 1;
}

/// <summary>platform kernel run: one GEMM on the emulator, modelled time and (executed) the error vs FP32.</summary>
public sealed class KernelRunCommand(CliEnvironment env) : PlatformCommand<KernelSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(KernelSettings s) => [new("--device", NameKind.Device,
        s.Device)];

    protected override async Task<int> RunAsync(Connection c, KernelSettings s, CancellationToken ct)
    {
        var client = new EmulatorService.EmulatorServiceClient(c.Invoker);
        var gemm = s.Gemm();
        var r = await client.RunKernelAsync(new RunKernelRequest
        {
            Device = s.Device, Kernel = new Contracts.Emulator.V1.Kernel { Gemm = gemm },
            Dtype = Parse.Enum<Dtype>("--dtype", s.Dtype), Execute = !s.NoExecute, Seed = s.Seed,
        }, c.Options(ct));
        var o = Output(s);
        if (s.Chart is not null)
        {
            var d = (await client.GetDeviceAsync(new GetDeviceRequest { Id = s.Device }, c.Options(ct))).Device;
            var peak = Parse.Enum<Dtype>("--dtype", s.Dtype) is Dtype.Fp8E4M3 or Dtype.Fp8E5M2
                ? d.PeakTflops.Fp8 : Parse.Enum<Dtype>("--dtype", s.Dtype) == Dtype.Fp32 ? d.PeakTflops.Fp32
                : d.PeakTflops.Bf16;
            ChartFile.Save(DeviceCharts.Roofline([new RooflineDevice($"{d.Id} {s.Dtype}", peak, d.HbmTbps)],
                [Point($"gemm {gemm.M}x{gemm.N}x{gemm.K}", r.Timing)], $"Roofline of {d.Name}"), s.Chart);
            o.Saved(s.Chart);
        }
        if (o.Json)
        {
            // Output tensors can be large: scripts get the timing, accuracy and memory.
            r.Outputs.Clear();
            o.WriteJson(r);
            return ExitCodes.Ok;
        }
        var t = Table("kernel", "dtype", "#device µs", "#TFLOPS", "bound", "#efficiency", "#error (diff)",
            "#max |err|");
        t.AddRow($"gemm {gemm.M}x{gemm.N}x{gemm.K}", E(s.Dtype), Num(r.Timing.DeviceSeconds * 1e6, 2),
            Num(r.Timing.AchievedTflops, 1), Parse.Short(r.Timing.Bound), Pct(r.Timing.Efficiency),
            r.Accuracy is null ? "-" : Sci(r.Accuracy.Diff), r.Accuracy is null ? "-" : Sci(r.Accuracy.MaxAbsError));
        o.Write(t);
        o.Line(r.Executed ? "executed on the CPU; timing modelled for the device" : "modelled only (not executed)");
        return ExitCodes.Ok;
    }

    public static KernelPoint Point(string name, OpTiming t) =>
        new(name, t.Bytes > 0 ? t.Flops / t.Bytes : 0, t.AchievedTflops);
}

public sealed class ProfileSettings : ChartSettings
{
    [CommandOption("--device <ID>")]
    [Description("Accelerator id (default h800)")]
    public string Device { get; init; } = "h800";

    [CommandOption("--model <PRESET|FILE>")]
    [Description("Model preset or config.json (default deepseek-v3)")]
    public string Model { get; init; } = "deepseek-v3";

    [CommandOption("--phase <P>")]
    [Description("prefill or decode (default decode)")]
    public string Phase { get; init; } = "decode";
    [CommandOption("--batch <N>")]
    [Description("Sequences per forward pass (default 64)")]
    public string Batch { get; init; } = "64";
    [CommandOption("--seq <N>")]
    [Description("Prompt or cached context length (default 4096)")]
    public string Seq { get; init; } = "4096";
    [CommandOption("--tp <N>")][Description("Tensor parallel (default 8)")] public int Tp { get; init; } = 8;
    [CommandOption("--ep <N>")][Description("Expert parallel (default 8)")] public int Ep { get; init; } = 8;
    [CommandOption("--dtype <D>")]
    [Description("GEMM format (default bf16)")]
    public string Dtype { get; init; } = "bf16";
}

/// <summary>platform kernel profile: per-op device time of one forward pass; --chart: the breakdown.</summary>
public sealed class ProfileCommand(CliEnvironment env) : PlatformCommand<ProfileSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(ProfileSettings s) =>
        [new("--device", NameKind.Device, s.Device), new("--model", NameKind.Model, ModelFlag.PresetOrNull(s.Model))];

    protected override async Task<int> RunAsync(Connection c, ProfileSettings s, CancellationToken ct)
    {
        var r = await new EmulatorService.EmulatorServiceClient(c.Invoker).ProfileModelAsync(new ProfileModelRequest
        {
            Device = s.Device, Model = ModelFlag.Spec("--model", s.Model), Phase = Parse.Enum<Phase>("--phase",
                s.Phase),
            Batch = Parse.Count("--batch", s.Batch), SequenceLength = Parse.Count("--seq", s.Seq),
            TensorParallel = s.Tp, ExpertParallel = s.Ep, Dtype = Parse.Enum<Dtype>("--dtype", s.Dtype),
        }, c.Options(ct));
        var o = Output(s);
        if (s.Chart is not null)
        {
            ChartFile.Save(TrainingCharts.Breakdown(Parts(r), $"{s.Model} {s.Phase} on {s.Device} (TP{s.Tp}, batch " +
                $"{s.Batch}): device time per op, whole pass", "milliseconds per forward pass"), s.Chart);
            o.Saved(s.Chart);
        }
        if (o.Json) { r.ChromeTraceJson = ""; o.WriteJson(r); return ExitCodes.Ok; }
        var t = Table("layer", "op", "shape", "#µs", "#TFLOPS", "bound");
        foreach (var op in r.Ops)
            t.AddRow(E(op.LayerKind), E(op.Timing.Name), E(op.Shape), Num(op.Timing.DeviceSeconds * 1e6, 1),
                Num(op.Timing.AchievedTflops, 1), Parse.Short(op.Timing.Bound));
        o.Write(t);
        o.Line($"forward pass {r.TotalDeviceSeconds * 1e3:0.###} ms, {r.AchievedTflops:0.#} TFLOPS per accelerator, " +
            $"communication {Pct(r.CommunicationFraction)}");
        return ExitCodes.Ok;
    }

    /// <summary>Each op's time over the whole pass (its layer's count times), in ms, summed by op name.</summary>
    public static IReadOnlyList<Part> Parts(ProfileModelResponse r)
    {
        var counts = r.Layers.ToDictionary(l => l.LayerKind, l => (double)l.Count);
        return [.. r.Ops.GroupBy(op => op.Timing.Name).Select(g => new Part(g.Key,
            g.Sum(op => op.Timing.DeviceSeconds * 1e3 * counts.GetValueOrDefault(op.LayerKind, 1))))];
    }
}
