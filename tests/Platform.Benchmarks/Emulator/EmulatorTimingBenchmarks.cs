using Google.Protobuf;
using System.Diagnostics;
using Platform.Modeling.Ops;
using HardwareEmulator;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Kernels;
using HardwareEmulator.Domain.Profiling;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Grpc;
using HardwareEmulator.Mapping;
using Microsoft.Extensions.Options;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;

namespace Platform.Benchmarks;

/// <summary>Timing-model benchmarks (owned by the hardware-emulator service area).</summary>
public static class EmulatorTimingBenchmarks
{
    /// <summary>
    /// `estimate-ops [--ops N] [--seconds S]`: EstimateOps throughput through the service's request path (validation,
    /// timing model, response messages; no HTTP/2 transport), then the fidelity table against published measurements.
    /// </summary>
    public static int EstimateOps(string[] args)
    {
        int ops = Arg(args, "--ops", 10_000);
        double seconds = Arg(args, "--seconds", 3.0);
        var catalog = new DeviceCatalog();
        var model = new TimingModel();
        var options = new EmulatorOptions();
        var service = new EmulatorGrpcService(catalog, model, new KernelRunner(model, options),
            new ModelProfiler(model), Options.Create(options));

        var request = new EstimateOpsRequest { Device = "h800" };
        for (int i = 0; i < ops; i++) request.Ops.Add(MixedOp(i));
        // Parse the request from bytes each round, as the server does, so message handling is counted.
        byte[] wire = request.ToByteArray();
        // Warm-up: one second, so tiered JIT reaches its optimized code even on a loaded machine.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 1) service.Estimate(EstimateOpsRequest.Parser.ParseFrom(wire));
        long done = 0;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            var response = service.Estimate(EstimateOpsRequest.Parser.ParseFrom(wire));
            _ = response.ToByteArray();
            done += response.Timings.Count;
        }
        sw.Stop();
        double perOpBytes = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)done;
        Console.WriteLine($"{{\"benchmark\":\"estimate-ops\",\"ops_per_request\":{ops},\"ops\":{done}," +
            $"\"seconds\":{sw.Elapsed.TotalSeconds:F2}," +
            $"\"ops_per_second\":{done / sw.Elapsed.TotalSeconds:F0},\"allocated_bytes_per_op\":{perOpBytes:F0}," +
            "\"note\":\"includes request parse and response serialization; " +
            $"op mix: gemm, grouped_gemm, attention, elementwise, collective\"}}");

        // Domain-only rate: the timing model alone on the same mix.
        var t = model.For(catalog.Get("h800"));
        sw.Restart();
        long n = 0;
        double sink = 0;
        while (sw.Elapsed.TotalSeconds < seconds / 2)
            for (int i = 0; i < 1000; i++, n++) sink += ProtoMapping.Estimate(t, request.Ops[i % ops], i).DeviceSeconds;
        Console.WriteLine($"{{\"benchmark\":\"estimate-ops-model-only\"," +
            $"\"ops_per_second\":{n / sw.Elapsed.TotalSeconds:F0},\"checksum\":{sink:G4}}}");

        Fidelity(model, catalog);
        // Whole forward passes (ProfileModel) next to public serving figures.
        var profiler = new ModelProfiler(model);
        foreach (var (device, preset, phase, batch, seq, tp, ep) in
                 new (string, string, InferencePhase, long, long, int, int)[]
                 {
                     ("h100-sxm", "llama-3.1-8b", InferencePhase.Decode, 1, 1024, 1, 1),
                     ("h100-sxm", "llama-3.1-70b", InferencePhase.Decode, 1, 1024, 8, 1),
                     ("h100-sxm", "llama-3.1-8b", InferencePhase.Prefill, 1, 4096, 1, 1),
                     ("h800", "deepseek-v3", InferencePhase.Decode, 128, 4096, 1, 32),
                     ("h800", "deepseek-v3", InferencePhase.Prefill, 4, 4096, 1, 32),
                 })
        {
            var arch = Platform.Modeling.ModelPresets.Get(preset).Architecture;
            var p = profiler.Profile(catalog.Get(device),
                new ProfileRequest(arch, phase, batch, seq, tp, ep, 1, DataType.Bf16));
            Console.WriteLine($"{{\"check\":\"profile\",\"device\":\"{device}\",\"model\":\"{preset}\"," +
                $"\"phase\":\"{phase}\",\"batch\":{batch},\"seq\":{seq},\"tp\":{tp},\"ep\":{ep}," +
                $"\"forward_ms\":{p.TotalSeconds * 1e3:F2},\"tflops\":{p.TotalFlops / p.TotalSeconds / 1e12:F1}," +
                $"\"communication_fraction\":{p.CommunicationSeconds / p.TotalSeconds:F3}}}");
        }
        // Accuracy RunKernel reports for low-precision GEMMs (DeepGEMM diff vs FP32, seeded normal inputs).
        foreach (var dtype in new[] { DataType.Bf16, DataType.Fp8E4M3, DataType.Fp8E5M2 })
        {
            var r = new KernelRunner(model, options).Run(catalog.Get("h800"),
                new OpCall(new GemmShape("gemm", dtype, 64, 256, 512), "kernel.gemm"), [], true, 1);
            Console.WriteLine($"{{\"check\":\"gemm-accuracy\",\"dtype\":\"{dtype}\",\"m\":64,\"n\":256,\"k\":512," +
                $"\"diff\":{r.Accuracy!.Diff:G3},\"max_abs_error\":{r.Accuracy.MaxAbsError:G3}}}");
        }
        return 0;
    }

    private static OpSpec MixedOp(int i) => (i % 5) switch
    {
        0 => new OpSpec { Dtype = Dtype.Bf16, Gemm = new GemmOp { M = 64 + i % 4096, N = 7168, K = 2048 } },
        1 => new OpSpec
        {
            Dtype = Dtype.Fp8E4M3,
            GroupedGemm = new GroupedGemmOp { MPerGroup = { 128, 0, 256, 64, 512, 32, 96, 160 }, N = 4096, K = 7168 },
        },
        2 => new OpSpec
        {
            Dtype = Dtype.Bf16,
            Attention = new AttentionOp
            {
                Batch = 8, QueryLen = 1, KvLen = 1024 + i % 8192, NumHeads = 128, NumKvHeads = 1, HeadDimQk = 576,
                HeadDimV = 512,
            },
        },
        3 => new OpSpec
        {
            Dtype = Dtype.Bf16,
            Elementwise = new ElementwiseOp
            {
                Kind = Platform.Contracts.Emulator.V1.ElementwiseKind.Rmsnorm, Elements = 7168L * (1 + i % 512),
            },
        },
        _ => new OpSpec
        {
            Collective = new CollectiveOp
            {
                Kind = Platform.Contracts.Emulator.V1.CollectiveKind.AllToAll, Bytes = 1L << (10 + i % 20), Ranks = 64,
            },
        },
    };

    /// <summary>
    /// Modelled figures next to the published measurements the model is calibrated or checked against.
    /// </summary>
    private static void Fidelity(TimingModel model, DeviceCatalog catalog)
    {
        (string Device, DataType Type, long Size, double Measured, string Source)[] rows =
        [
            ("h100-sxm", DataType.Bf16, 8192, 794.5, "MAMF"), ("a100-80gb", DataType.Bf16, 8192, 271.2, "MAMF"),
            ("b200", DataType.Bf16, 8192, 1745, "MAMF"), ("mi300x", DataType.Bf16, 8192, 668, "MAMF"),
            ("h100-sxm", DataType.Fp8E4M3, 8192, 1402.6, "MAMF"), ("h200", DataType.Fp8E4M3, 8192, 1453.4, "MAMF"),
            ("h100-sxm", DataType.Bf16, 16384, 794.5, "MAMF (other shape)"),
            ("h100-sxm", DataType.Bf16, 4096, 794.5, "MAMF (other shape)"),
            ("h800", DataType.Fp8E4M3, 8192, 1550, "DeepGEMM best shapes (not calibrated)"),
        ];
        foreach (var r in rows)
        {
            var o = model.For(catalog.Get(r.Device)).Gemm(r.Type, r.Size, r.Size, r.Size);
            Console.WriteLine($"{{\"check\":\"gemm\",\"device\":\"{r.Device}\",\"dtype\":\"{r.Type}\"," +
                $"\"m=n=k\":{r.Size},\"modelled_tflops\":{o.AchievedTflops:F1}," +
                $"\"measured_tflops\":{r.Measured},\"ratio\":{o.AchievedTflops / r.Measured:F3}," +
                $"\"source\":\"{r.Source}\"}}");
        }
        var h800 = model.For(catalog.Get("h800"));
        // DeepGEMM's published H800 FP8 TFLOPS at M = 4096 (README revision 55ab91f): the short-K term's fit.
        foreach (var (m, n, k, published) in new (long, long, long, double)[]
            { (4096, 32768, 512, 751), (4096, 24576, 1536, 1125), (4096, 7168, 2048, 1168), (4096, 7168, 16384, 1426) })
        {
            var g = h800.Gemm(DataType.Fp8E4M3, m, n, k);
            Console.WriteLine($"{{\"check\":\"deepgemm-fp8\",\"device\":\"h800\",\"m\":{m},\"n\":{n},\"k\":{k}," +
                $"\"modelled_tflops\":{g.AchievedTflops:F0},\"published_tflops\":{published}," +
                $"\"ratio\":{g.AchievedTflops / published:F3}}}");
        }
        var mla = h800.Attention(DataType.Bf16, 128, 1, 4096, 16, 1, 576, 512, false);
        Console.WriteLine($"{{\"check\":\"flashmla-decode\",\"device\":\"h800\"," +
            $"\"modelled_gbps\":{mla.AchievedGBps:F0},\"measured_gbps\":3000," +
            $"\"ratio\":{mla.AchievedGBps / 3000:F3},\"bound\":\"{mla.Bound}\"}}");
        var gqa = h800.Attention(DataType.Bf16, 64, 1, 4096, 64, 8, 128, 128, false);
        Console.WriteLine($"{{\"check\":\"gqa-decode\",\"device\":\"h800\"," +
            $"\"modelled_gbps\":{gqa.AchievedGBps:F0},\"measured_gbps\":3000," +
            $"\"ratio\":{gqa.AchievedGBps / 3000:F3},\"bound\":\"{gqa.Bound}\"}}");
        var gemv = h800.Gemm(DataType.Bf16, 1, 7168, 7168);
        Console.WriteLine($"{{\"check\":\"decode-gemv\",\"device\":\"h800\",\"m\":1,\"n\":7168,\"k\":7168," +
            $"\"us\":{gemv.DeviceSeconds * 1e6:F1},\"gbps\":{gemv.AchievedGBps:F0},\"bound\":\"{gemv.Bound}\"}}");
        var tiny = h800.Elementwise(DataType.Bf16, ElementwiseOpKind.RmsNorm, 7168);
        Console.WriteLine($"{{\"check\":\"decode-rmsnorm\",\"device\":\"h800\",\"elements\":7168," +
            $"\"us\":{tiny.DeviceSeconds * 1e6:F2},\"bound\":\"{tiny.Bound}\"}}");
        foreach (long m in new long[] { 128 * 11, 128 * 12, 128 * 12 + 1, 128 * 13 })
        {
            var g = h800.Gemm(DataType.Bf16, m, 128 * 12, 8192);
            Console.WriteLine($"{{\"check\":\"waves\",\"device\":\"h800\",\"m\":{m},\"n\":{128 * 12},\"k\":8192," +
                $"\"tflops\":{g.AchievedTflops:F1},\"bound\":\"{g.Bound}\"}}");
        }
        // Size dependence next to Calculon's efficiency steps (fraction of its tuned peak / of HBM bandwidth).
        var h100 = model.For(catalog.Get("h100-sxm"));
        double tuned = h100.Gemm(DataType.Bf16, 16384, 16384, 16384).AchievedTflops;
        foreach (var (m, n, k, calculon) in new (long, long, long, double)[]
            { (512, 512, 512, 0.1), (1024, 1024, 512, 0.6), (2048, 2048, 2048, 0.9), (4096, 4096, 4096, 0.99) })
        {
            var g = h100.Gemm(DataType.Bf16, m, n, k);
            var noLaunch = g.DeviceSeconds - TimingConstants.LaunchLatencySeconds;
            Console.WriteLine($"{{\"check\":\"calculon-matrix\",\"device\":\"h100-sxm\",\"gflop\":{g.Flops / 1e9:F2}," +
                $"\"fraction_of_large\":{g.AchievedTflops / tuned:F3}," +
                $"\"fraction_without_launch\":{g.Flops / noLaunch / 1e12 / tuned:F3},\"calculon\":{calculon}}}");
        }
        foreach (var (mb, calculon) in new[] { (0.1, 0.3), (1.0, 0.7), (10.0, 0.9), (100.0, 0.95) })
        {
            var c = h100.Elementwise(DataType.Bf16, ElementwiseOpKind.Copy, (long)(mb * 1e6 / 4));
            var noLaunch = c.DeviceSeconds - TimingConstants.ElementwiseLatencySeconds;
            Console.WriteLine($"{{\"check\":\"calculon-memory\",\"device\":\"h100-sxm\"," +
                $"\"mb_moved\":{c.Bytes / 1e6:F1}," +
                $"\"fraction_of_hbm\":{c.AchievedGBps / 3350:F3}," +
                $"\"fraction_without_launch\":{c.Bytes / noLaunch / 3.35e12:F3},\"calculon\":{calculon}}}");
        }
        foreach (var (name, kind, bytes, ranks) in new[]
            {
                ("all_reduce 1GiB tp8", Platform.Contracts.Emulator.V1.CollectiveKind.AllReduce, 1L << 30, 8),
                ("all_reduce 1GiB 16 ranks", Platform.Contracts.Emulator.V1.CollectiveKind.AllReduce, 1L << 30, 16),
                ("all_to_all 64MiB ep64", Platform.Contracts.Emulator.V1.CollectiveKind.AllToAll, 64L << 20, 64),
            })
        {
            var c = h800.Collective((CollectiveOpKind)((int)kind - 1), bytes, ranks, 0);
            Console.WriteLine($"{{\"check\":\"collective\",\"device\":\"h800\",\"op\":\"{name}\"," +
                $"\"ms\":{c.DeviceSeconds * 1e3:F3},\"gbps\":{c.AchievedGBps:F1},\"efficiency\":{c.Efficiency:F3}}}");
        }
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }

    private static double Arg(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length
            && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : fallback;
    }
}
