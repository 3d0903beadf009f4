using System.Text.Json;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Profiling;
using HardwareEmulator.Domain.Timing;
using Platform.Modeling;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Tests.Domain;

public sealed class ModelProfilerTests
{
    private static readonly DeviceCatalog Catalog = new();
    private static readonly ModelProfiler Profiler = new(new TimingModel());

    private static ModelProfile Profile(string model, InferencePhase phase, long batch, long seq, int tp = 1,
        int ep = 1, int pp = 1, string device = "h800") =>
        Profiler.Profile(Catalog.Get(device),
            new ProfileRequest(ModelPresets.Get(model).Architecture, phase, batch, seq, tp, ep, pp, DataType.Bf16));

    [Fact]
    public void Forward_pass_total_is_the_layer_counts_times_the_per_layer_times()
    {
        var p = Profile("deepseek-v3", InferencePhase.Decode, 64, 4096, ep: 8);
        Assert.Equal(new[] { "dense", "moe" }, p.Layers.Select(l => l.LayerKind));
        Assert.Equal(3, p.Layers[0].Count);
        Assert.Equal(58, p.Layers[1].Count);
        double layers = p.Layers.Sum(l => l.Count * l.SecondsPerLayer);
        double rest = p.Ops.Where(o => o.LayerKind is "embedding" or "head").Sum(o => o.Time.DeviceSeconds);
        Assert.Equal(layers + rest, p.TotalSeconds, 12);
        Assert.Contains(p.Ops, o => o.Name == "dispatch_all_to_all" && o.Time.Bound == BoundKind.Communication);
        Assert.True(p.CommunicationSeconds > 0);
    }

    [Fact]
    public void Prefill_of_a_dense_model_is_compute_bound_and_decode_memory_or_latency_bound()
    {
        var prefill = Profile("llama-3.1-8b", InferencePhase.Prefill, 1, 4096);
        var decode = Profile("llama-3.1-8b", InferencePhase.Decode, 1, 4096);
        Assert.Equal(BoundKind.Compute, prefill.Ops.Single(o => o.Name == "gate_up_proj").Time.Bound);
        Assert.NotEqual(BoundKind.Compute, decode.Ops.Single(o => o.Name == "gate_up_proj").Time.Bound);
        // A decode step streams the ~16 GB of BF16 weights once: ≈ 16e9 / 3000 GB/s ≈ 5.4 ms plus latencies.
        Assert.InRange(decode.TotalSeconds, 5e-3, 9e-3);
    }

    [Fact]
    public void Tensor_parallelism_adds_all_reduces_that_cost_more_on_h800s_cut_nvlink()
    {
        var tp1 = Profile("llama-3.1-70b", InferencePhase.Prefill, 1, 2048, device: "h100-sxm");
        var tp8 = Profile("llama-3.1-70b", InferencePhase.Prefill, 1, 2048, tp: 8, device: "h100-sxm");
        var tp8OnH800 = Profile("llama-3.1-70b", InferencePhase.Prefill, 1, 2048, tp: 8, device: "h800");
        Assert.DoesNotContain(tp1.Ops, o => o.OpKind == "collective");
        Assert.Contains(tp8.Ops, o => o.Name == "attn_all_reduce");
        // Eight GPUs: close to 4x faster, less by the 160 all-reduces of 32 MiB, each with NCCL's ring latency (56 µs
        // on 8 GPUs, src/graph/tuning.cc; Vidur's 8-rank 32 MiB A100 all-reduce: 411 µs measured, 421 modelled).
        Assert.True(tp8.TotalSeconds < tp1.TotalSeconds / 3.9, $"{tp8.TotalSeconds} vs {tp1.TotalSeconds}");
        // 200 vs 450 GB/s per direction; the per-call cost both pay dilutes the 2.25x bandwidth ratio (re-pinned from
        // 2x when the fitted per-call collective latency was added).
        Assert.True(tp8OnH800.CommunicationSeconds > 1.8 * tp8.CommunicationSeconds,
            $"{tp8OnH800.CommunicationSeconds} vs {tp8.CommunicationSeconds}");
    }

    [Fact]
    public void Chrome_trace_has_one_complete_event_per_op_in_microseconds()
    {
        var p = Profile("llama-3.1-8b", InferencePhase.Decode, 8, 1024, pp: 2);
        using var doc = JsonDocument.Parse(p.ChromeTraceJson);
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray()
            .Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        int perLayer = p.Ops.Count(o => o.LayerKind == "dense");
        Assert.Equal(32 * perLayer + 1 /*embedding*/ + 2 /*head*/ + 1 /*stage hop*/, events.Count);
        double end = events.Max(e => e.GetProperty("ts").GetDouble() + e.GetProperty("dur").GetDouble());
        Assert.Equal(p.TotalSeconds * 1e6, end, 0);
        Assert.Contains(events, e => e.GetProperty("pid").GetInt32() == 1);
    }

    [Fact]
    public void Tensor_parallel_degree_must_divide_the_heads()
    {
        var e = Assert.Throws<InvalidFieldException>(
            () => Profile("llama-3.1-8b", InferencePhase.Decode, 1, 128, tp: 3));
        Assert.Equal("tensor_parallel", e.Field);
        Assert.Equal("expert_parallel", Assert.Throws<InvalidFieldException>(
            () => Profile("llama-3.1-8b", InferencePhase.Decode, 1, 128, ep: 2)).Field);
        Assert.Equal("batch", Assert.Throws<InvalidFieldException>(
            () => Profile("llama-3.1-8b", InferencePhase.Decode, 0, 128)).Field);
    }
}
