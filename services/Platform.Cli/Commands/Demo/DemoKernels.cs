using Platform.Cli.Charts;
using Platform.Cli.Commands.Kernel;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using static Platform.Cli.Commands.Demo.Report;
using KernelMsg = Platform.Contracts.Emulator.V1.Kernel;

namespace Platform.Cli.Commands.Demo;

public sealed partial class DemoCommand
{
    private async Task KernelsAsync(Connection c, Report report, CancellationToken ct)
    {
        var client = new EmulatorService.EmulatorServiceClient(c.Invoker);
        var shape = new GemmOp { M = 512, N = 512, K = 1024 };
        var rows = new List<(string Dtype, RunKernelResponse R)>();
        foreach (var (name, dtype) in new[] { ("FP32", Dtype.Fp32), ("BF16", Dtype.Bf16), ("FP8 E4M3", Dtype.Fp8E4M3),
                     ("FP8 E5M2", Dtype.Fp8E5M2) })
        {
            var r = await client.RunKernelAsync(new RunKernelRequest
            {
                Device = "h800", Kernel = new KernelMsg { Gemm = shape }, Dtype = dtype, Execute = true, Seed = 1,
            }, c.Options(ct));
            rows.Add((name, r));
        }
        report.Heading("4. FP8 against BF16: GEMM error on the emulator");
        report.Para("One 512 x 1024 by 1024 x 512 GEMM run for real on the CPU with inputs rounded to each format " +
            "(FP8 with DeepSeek-V3's 1 x 128 / 128 x 128 block scales), compared with the same inputs in FP32. " +
            "*Published* thresholds (DeepGEMM's tests): diff < 1e-3 for FP8, < 1e-5 for BF16.");
        report.Table(["format", " diff = 1 - 2Σxy/Σ(x²+y²)", " max |error|", " modelled H800 time µs", " TFLOPS"],
            rows.Select(x => new[] { x.Dtype, x.R.Accuracy is null ? "reference" : x.R.Accuracy.Diff.ToString("0.00e0"),
                x.R.Accuracy is null ? "-" : x.R.Accuracy.MaxAbsError.ToString("0.000"),
                F(x.R.Timing.DeviceSeconds * 1e6, "0.00"), F(x.R.Timing.AchievedTflops, "0.0") }));
        report.Source("modelled and executed — EmulatorService.RunKernel; thresholds from DeepGEMM's test suite " +
            "(references: FP8 < 1e-3, BF16 < 1e-5).");
        report.Command("platform kernel run --device h800 --shape 512x512x1024 --dtype fp8-e4m3\n" +
            "platform kernel run --device h800 --shape 512x512x1024 --dtype bf16");
        report.Chart(TrainingCharts.Breakdown([.. rows.Where(x => x.R.Accuracy is not null)
                    .Select(x => new Part(x.Dtype, x.R.Accuracy.Diff))],
                "GEMM error against FP32 (diff, log scale)", "diff (lower is better)", log: true), "gemm-error",
            "Relative error of the same GEMM in each format (executed on the CPU).");

        var device = (await client.GetDeviceAsync(new GetDeviceRequest { Id = "h800" }, c.Options(ct))).Device;
        var kernels = new List<KernelPoint>();
        foreach (var (name, m, n, k, dtype) in new[]
                 {
                     ("train GEMM FP8", 16384L, 7168L, 2048L, Dtype.Fp8E4M3), ("train GEMM BF16", 16384, 7168, 2048,
                         Dtype.Bf16),
                     ("decode GEMM b64", 64, 7168, 2048, Dtype.Bf16), ("decode GEMM b8", 8, 7168, 2048, Dtype.Bf16),
                     ("GEMV", 1, 7168, 7168, Dtype.Bf16),
                 })
        {
            var r = await client.RunKernelAsync(new RunKernelRequest
            {
                Device = "h800", Kernel = new KernelMsg { Gemm = new GemmOp { M = m, N = n, K = k } }, Dtype = dtype,
                Execute = false,
            }, c.Options(ct));
            kernels.Add(KernelRunCommand.Point(name, r.Timing));
        }
        report.Para("Where GEMMs of DeepSeek-V3's shapes sit on the H800 roofline: training GEMMs are compute-bound, " +
            "decode GEMMs at small batch are memory-bound.");
        report.Chart(DeviceCharts.Roofline([new RooflineDevice("H800 BF16", device.PeakTflops.Bf16, device.HbmTbps),
                    new RooflineDevice("H800 FP8", device.PeakTflops.Fp8, device.HbmTbps)], kernels,
                "H800 roofline with DeepSeek-V3 GEMMs (modelled times)"), "roofline",
            "Attainable TFLOPS against arithmetic intensity, with each kernel's modelled throughput.");
        report.Source("modelled — EmulatorService.RunKernel with execute=false; peaks and bandwidth from " +
            $"EmulatorService.GetDevice (h800: {device.Source}).");
        report.Command("platform kernel run --device h800 --shape 64x7168x2048 --no-execute --chart roofline.svg");

        var profile = await client.ProfileModelAsync(new ProfileModelRequest
        {
            Device = "h800", Model = new ModelSpec { Preset = "deepseek-v3" }, Phase = Phase.Decode, Batch = 64,
            SequenceLength = 4096, TensorParallel = 8, ExpertParallel = 8, Dtype = Dtype.Fp8E4M3,
        }, c.Options(ct));
        report.Para($"One decode step of DeepSeek-V3 (batch 64, 4,096 cached tokens, TP8 EP8, FP8) on H800: " +
            $"{profile.TotalDeviceSeconds * 1e3:0.00} ms, {profile.CommunicationFraction:P0} of it in collectives.");
        report.Chart(TrainingCharts.Breakdown(ProfileCommand.Parts(profile),
                "DeepSeek-V3 decode step on 8 x H800: time per op (all layers)", "milliseconds per step"),
            "decode-ops", "Per-op breakdown of one decode step (modelled).");
        report.Source("modelled — EmulatorService.ProfileModel.");
        report.Command("platform kernel profile --model deepseek-v3 --phase decode --batch 64 --seq 4096 --tp 8 " +
            "--ep 8 --dtype fp8-e4m3 --chart decode-ops.svg");
    }
}
