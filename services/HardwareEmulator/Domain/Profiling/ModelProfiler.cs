using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using Platform.Modeling;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Domain.Profiling;

public enum InferencePhase { Prefill, Decode }

/// <summary>What to profile: one forward pass of <see cref="Batch"/> sequences on one tensor-parallel group.</summary>
public sealed record ProfileRequest(ModelArchitecture Model, InferencePhase Phase, long Batch, long SequenceLength,
    int TensorParallel, int ExpertParallel, int PipelineParallel, DataType Dtype);

/// <summary>One op of one layer, timed.</summary>
public sealed record ProfiledOp(string LayerKind, string Name, string OpKind, string Shape, OpTime Time);

public sealed record LayerSummary(string LayerKind, long Count, double SecondsPerLayer, double FlopsPerLayer);

public sealed record ModelProfile(IReadOnlyList<ProfiledOp> Ops, IReadOnlyList<LayerSummary> Layers,
    double TotalSeconds, double TotalFlops, double CommunicationSeconds, string ChromeTraceJson);

/// <summary>
/// Builds the per-GPU op sequence of a transformer forward pass (attention incl. MLA and GQA, dense or MoE FFN,
/// tensor/expert/pipeline-parallel collectives) and times it with the device's timing model. One layer of each
/// kind is timed; the forward pass multiplies by the layer counts. Assumptions are listed in docs/EMULATOR.md.
/// </summary>
public sealed class ModelProfiler(TimingModel timing)
{
    private const int ActivationBytes = 2; // activations cross links in BF16

    public ModelProfile Profile(DeviceSpec device, ProfileRequest r)
    {
        Validate(r);
        var t = timing.For(device);
        var a = r.Model;
        var layerKinds = new List<(string Kind, long Count, List<ProfiledOp> Ops)>();
        var head = Time(t, "head", HeadOps(r));
        var embedding = Time(t, "embedding", [("embedding", "elementwise", $"tokens={Tokens(r)} hidden={a.HiddenSize}",
            new ElementwiseOpSpec("embedding", r.Dtype, ElementwiseKind.Copy, Tokens(r) * a.HiddenSize))]);
        if (a.DenseLayerCount > 0) layerKinds.Add(("dense", a.DenseLayerCount, Time(t, "dense", [.. AttentionOps(r), .. DenseFfnOps(r)])));
        if (a.MoeLayerCount > 0) layerKinds.Add(("moe", a.MoeLayerCount, Time(t, "moe", [.. AttentionOps(r), .. MoeFfnOps(r)])));

        var stageHops = new List<ProfiledOp>();
        if (r.PipelineParallel > 1)
        {
            bool sameNode = (long)r.TensorParallel * r.PipelineParallel <= Math.Max(1, device.ScaleUpDomain);
            long bytes = Tokens(r) * a.HiddenSize * ActivationBytes;
            stageHops.Add(Time(t, "pipeline", [("stage_send_recv", "collective", $"bytes={bytes}",
                new CollectiveOpSpec("stage_send_recv", r.Dtype, CollectiveKind.SendRecv, bytes, 2, sameNode ? 2 : 1))])[0]);
        }

        double total = embedding.Sum(o => o.Time.DeviceSeconds) + head.Sum(o => o.Time.DeviceSeconds)
            + (r.PipelineParallel - 1) * stageHops.Sum(o => o.Time.DeviceSeconds);
        double flops = embedding.Sum(o => o.Time.Flops) + head.Sum(o => o.Time.Flops);
        double comm = (r.PipelineParallel - 1) * stageHops.Sum(o => o.Time.DeviceSeconds);
        foreach (var (_, count, ops) in layerKinds)
        {
            total += count * ops.Sum(o => o.Time.DeviceSeconds);
            flops += count * ops.Sum(o => o.Time.Flops);
            comm += count * ops.Where(o => o.Time.Bound == BoundKind.Communication).Sum(o => o.Time.DeviceSeconds);
        }

        var table = new List<ProfiledOp>(embedding);
        foreach (var (_, _, ops) in layerKinds) table.AddRange(ops);
        table.AddRange(stageHops);
        table.AddRange(head);
        var summaries = layerKinds.Select(k => new LayerSummary(k.Kind, k.Count, k.Ops.Sum(o => o.Time.DeviceSeconds), k.Ops.Sum(o => o.Time.Flops))).ToList();
        string trace = ChromeTrace.Write(device, r, embedding, layerKinds.Select(k => (k.Kind, k.Ops)).ToList(), stageHops, head);
        return new ModelProfile(table, summaries, total, flops, comm, trace);
    }

    private static void Validate(ProfileRequest r)
    {
        var a = r.Model;
        if (r.Batch <= 0) throw new InvalidFieldException("batch", $"must be positive (got {r.Batch})");
        if (r.SequenceLength <= 0) throw new InvalidFieldException("sequence_length", $"must be positive (got {r.SequenceLength})");
        if ((double)r.Batch * (r.Phase == InferencePhase.Prefill ? r.SequenceLength : 1) > int.MaxValue)
            throw new InvalidFieldException("batch", "batch × tokens per sequence exceeds 2^31 tokens per forward pass");
        if (r.SequenceLength > int.MaxValue) throw new InvalidFieldException("sequence_length", "exceeds 2^31 tokens");
        if (r.TensorParallel <= 0) throw new InvalidFieldException("tensor_parallel", "must not be negative");
        if (r.ExpertParallel <= 0) throw new InvalidFieldException("expert_parallel", "must not be negative");
        if (r.PipelineParallel <= 0) throw new InvalidFieldException("pipeline_parallel", "must not be negative");
        if (a.NumAttentionHeads % r.TensorParallel != 0)
            throw new InvalidFieldException("tensor_parallel", $"must divide the {a.NumAttentionHeads} attention heads");
        if (r.ExpertParallel > 1 && !a.IsMoe)
            throw new InvalidFieldException("expert_parallel", $"{a.Name} has no experts; use 1");
        if (a.IsMoe && a.Moe!.RoutedExperts % r.ExpertParallel != 0)
            throw new InvalidFieldException("expert_parallel", $"must divide the {a.Moe.RoutedExperts} routed experts");
        if (r.PipelineParallel > a.NumLayers)
            throw new InvalidFieldException("pipeline_parallel", $"exceeds the {a.NumLayers} layers");
    }

    private static long QueryLen(ProfileRequest r) => r.Phase == InferencePhase.Prefill ? r.SequenceLength : 1;
    private static long Tokens(ProfileRequest r) => checked(r.Batch * QueryLen(r));

    private static List<ProfiledOp> Time(DeviceTiming t, string kind, IEnumerable<(string Name, string OpKind, string Shape, Op Op)> ops) =>
        ops.Select(o => new ProfiledOp(kind, o.Name, o.OpKind, o.Shape, TimingModel.Estimate(t, o.Op, ""))).ToList();

    private static (string, string, string, Op) Gemm(ProfileRequest r, string name, long m, long n, long k, long batch = 1) =>
        (name, "gemm", batch > 1 ? $"batch={batch} m={m} n={n} k={k}" : $"m={m} n={n} k={k}", new GemmOpSpec(name, r.Dtype, m, n, k, batch));

    private static (string, string, string, Op) Eltwise(ProfileRequest r, string name, ElementwiseKind kind, long elements) =>
        (name, "elementwise", $"elements={elements}", new ElementwiseOpSpec(name, DataType.Bf16, kind, elements));

    private static (string, string, string, Op) Collective(ProfileRequest r, string name, CollectiveKind kind, long bytes, int ranks) =>
        (name, "collective", $"bytes={bytes} ranks={ranks}", new CollectiveOpSpec(name, r.Dtype, kind, bytes, ranks, 0));

    private static IEnumerable<(string, string, string, Op)> AttentionOps(ProfileRequest r)
    {
        var a = r.Model;
        long T = Tokens(r), q = QueryLen(r), h = a.HiddenSize, tp = r.TensorParallel;
        long heads = a.NumAttentionHeads / tp;
        long kv = r.Phase == InferencePhase.Decode && a.SlidingWindow > 0 ? Math.Min(r.SequenceLength, a.SlidingWindow) : r.SequenceLength;
        bool causal = r.Phase == InferencePhase.Prefill;
        // Attention kernels (FlashAttention, FlashMLA) run in BF16 even when the GEMMs use FP8.
        var attnType = r.Dtype is DataType.Fp8E4M3 or DataType.Fp8E5M2 or DataType.Int8 ? DataType.Bf16 : r.Dtype;
        yield return Eltwise(r, "attn_norm", ElementwiseKind.RmsNorm, T * h);
        if (a.Mla is { } mla)
        {
            long qk = mla.QkNopeHeadDim + mla.QkRopeHeadDim;
            if (mla.QLoraRank > 0)
            {
                yield return Gemm(r, "q_a_proj", T, mla.QLoraRank, h);
                yield return Eltwise(r, "q_a_norm", ElementwiseKind.RmsNorm, T * mla.QLoraRank);
                yield return Gemm(r, "q_b_proj", T, heads * qk, mla.QLoraRank);
            }
            else yield return Gemm(r, "q_proj", T, heads * qk, h);
            yield return Gemm(r, "kv_a_proj", T, mla.KvLoraRank + mla.QkRopeHeadDim, h);
            yield return Eltwise(r, "kv_a_norm", ElementwiseKind.RmsNorm, T * mla.KvLoraRank);
            yield return Eltwise(r, "rope", ElementwiseKind.Rope, T * (heads + 1) * mla.QkRopeHeadDim);
            if (r.Phase == InferencePhase.Prefill)
            {
                // Prefill expands the latent KV per head and runs ordinary multi-head attention.
                yield return Gemm(r, "kv_b_proj", T, heads * (mla.QkNopeHeadDim + mla.VHeadDim), mla.KvLoraRank);
                yield return ("attention", "attention", $"b={r.Batch} q={q} kv={kv} heads={heads} d={qk}/{mla.VHeadDim} causal",
                    new AttentionOpSpec("attention", attnType, r.Batch, q, kv, heads, heads, qk, mla.VHeadDim, causal));
            }
            else
            {
                // Decode absorbs W_UK/W_UV and attends over the latent cache as MQA (FlashMLA: d = 576 / 512).
                yield return Gemm(r, "q_absorb", T, mla.KvLoraRank, mla.QkNopeHeadDim, heads);
                yield return ("attention", "attention", $"b={r.Batch} q=1 kv={kv} heads={heads} kv_heads=1 d={mla.KvLoraRank + mla.QkRopeHeadDim}/{mla.KvLoraRank}",
                    new AttentionOpSpec("attention", attnType, r.Batch, 1, kv, heads, 1, mla.KvLoraRank + mla.QkRopeHeadDim, mla.KvLoraRank, false));
                yield return Gemm(r, "v_absorb", T, mla.VHeadDim, mla.KvLoraRank, heads);
            }
            yield return Gemm(r, "o_proj", T, h, heads * mla.VHeadDim);
        }
        else
        {
            long hd = a.EffectiveHeadDim, kvHeads = Math.Max(1, a.KvHeads / tp);
            yield return Gemm(r, "qkv_proj", T, (heads + 2 * kvHeads) * hd, h);
            yield return Eltwise(r, "rope", ElementwiseKind.Rope, T * (heads + kvHeads) * hd);
            yield return ("attention", "attention", $"b={r.Batch} q={q} kv={kv} heads={heads} kv_heads={kvHeads} d={hd}{(causal ? " causal" : "")}",
                new AttentionOpSpec("attention", attnType, r.Batch, q, kv, heads, kvHeads, hd, hd, causal));
            yield return Gemm(r, "o_proj", T, h, heads * hd);
        }
        if (tp > 1) yield return Collective(r, "attn_all_reduce", CollectiveKind.AllReduce, T * h * ActivationBytes, (int)tp);
    }

    private static IEnumerable<(string, string, string, Op)> DenseFfnOps(ProfileRequest r)
    {
        var a = r.Model;
        long T = Tokens(r), h = a.HiddenSize, tp = r.TensorParallel, inter = a.IntermediateSize / tp;
        yield return Eltwise(r, "ffn_norm", ElementwiseKind.RmsNorm, T * h);
        if (a.GatedMlp)
        {
            yield return Gemm(r, "gate_up_proj", T, 2 * inter, h);
            yield return Eltwise(r, "swiglu", ElementwiseKind.SwiGlu, T * 2 * inter);
        }
        else
        {
            yield return Gemm(r, "up_proj", T, inter, h);
            yield return Eltwise(r, "gelu", ElementwiseKind.Gelu, T * inter);
        }
        yield return Gemm(r, "down_proj", T, h, inter);
        if (tp > 1) yield return Collective(r, "ffn_all_reduce", CollectiveKind.AllReduce, T * h * ActivationBytes, (int)tp);
    }

    private static IEnumerable<(string, string, string, Op)> MoeFfnOps(ProfileRequest r)
    {
        var a = r.Model;
        var moe = a.Moe!;
        long T = Tokens(r), h = a.HiddenSize, tp = r.TensorParallel, ep = r.ExpertParallel;
        long experts = moe.RoutedExperts, k = moe.ExpertsPerToken;
        // EP: each of the ep ranks brings T tokens (data-parallel attention); balanced routing spreads T·k·ep copies over the experts.
        // Without EP, tensor parallelism splits every expert's width instead.
        long local = experts / ep;
        long perExpert = (long)Math.Ceiling((double)T * k * ep / experts);
        long width = ep > 1 ? moe.ExpertIntermediateSize : moe.ExpertIntermediateSize / tp;
        var rows = Enumerable.Repeat(perExpert, (int)local).ToArray();
        yield return Eltwise(r, "ffn_norm", ElementwiseKind.RmsNorm, T * h);
        yield return Gemm(r, "router", T, experts, h);
        yield return Eltwise(r, "moe_gating", ElementwiseKind.MoeGating, T * experts);
        // Group-limited routing (DeepSeek-V3: 4 of 8 groups) sends a token once per target group, deduplicated
        // (DeepEP forwards inside the node); dispatch travels in the GEMM dtype (FP8 in DeepSeek), combine in BF16.
        long copies = moe.NumGroups > 1 && moe.TopKGroups > 0 ? Math.Min(k, moe.TopKGroups) : k;
        long dispatchBytes = T * copies * h * DeviceSpec.BytesPerElement(r.Dtype);
        if (ep > 1) yield return Collective(r, "dispatch_all_to_all", CollectiveKind.AllToAll, dispatchBytes, (int)ep);
        yield return ("experts_gate_up", "grouped_gemm", $"groups={local} m={perExpert} n={2 * width} k={h}",
            new GroupedGemmOpSpec("experts_gate_up", r.Dtype, rows, 2 * width, h));
        yield return Eltwise(r, "experts_swiglu", ElementwiseKind.SwiGlu, local * perExpert * 2 * width);
        yield return ("experts_down", "grouped_gemm", $"groups={local} m={perExpert} n={h} k={width}",
            new GroupedGemmOpSpec("experts_down", r.Dtype, rows, h, width));
        if (ep > 1) yield return Collective(r, "combine_all_to_all", CollectiveKind.AllToAll, T * copies * h * ActivationBytes, (int)ep);
        if (moe.SharedExperts > 0)
        {
            long shared = moe.SharedExperts * moe.ExpertIntermediateSize / tp;
            yield return Gemm(r, "shared_gate_up", T, 2 * shared, h);
            yield return Eltwise(r, "shared_swiglu", ElementwiseKind.SwiGlu, T * 2 * shared);
            yield return Gemm(r, "shared_down", T, h, shared);
        }
        if (tp > 1) yield return Collective(r, "ffn_all_reduce", CollectiveKind.AllReduce, T * h * ActivationBytes, (int)tp);
    }

    private static IEnumerable<(string, string, string, Op)> HeadOps(ProfileRequest r)
    {
        var a = r.Model;
        // Serving computes logits for the last position of each sequence only.
        long rows = r.Batch, h = a.HiddenSize;
        yield return Eltwise(r, "final_norm", ElementwiseKind.RmsNorm, rows * h);
        yield return Gemm(r, "lm_head", rows, Math.Max(1, a.VocabSize / r.TensorParallel), h);
    }
}
