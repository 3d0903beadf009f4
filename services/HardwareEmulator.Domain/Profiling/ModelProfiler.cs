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
/// Times one forward pass of a model on one device: the ops come from the platform's one decomposition
/// (<see cref="ModelOps"/>, the same the training and serving models use), each group of ops (embedding, a dense
/// layer, an MoE layer, a pipeline hop, the head) is timed once and multiplied by how often it runs.
/// </summary>
public sealed class ModelProfiler(TimingModel timing)
{
    public ModelProfile Profile(DeviceSpec device, ProfileRequest r)
    {
        Validate(r);
        var t = timing.For(device);
        bool lowPrecision = r.Dtype is DataType.Fp8E4M3 or DataType.Fp8E5M2 or DataType.Int8;
        // Attention kernels (FlashAttention, FlashMLA) run in 16 bits even when the GEMMs use FP8.
        var layout = new OpLayout(r.TensorParallel, r.ExpertParallel, r.PipelineParallel, r.Dtype,
            KvFormat: lowPrecision ? DataType.Bf16 : r.Dtype, ScaleUpDomain: Math.Max(1, device.ScaleUpDomain));
        var pass = r.Phase == InferencePhase.Prefill
            ? PassShape.Prefill(r.Batch, r.SequenceLength, r.SequenceLength)
            : PassShape.Decode(r.Batch, r.SequenceLength);
        var groups = ModelOps.Decompose(r.Model, layout, pass)
            .Select(g => (Group: g, Ops: g.Ops.Select(op => Time(t, g.Label, op)).ToList()))
            .ToList();

        double total = 0, flops = 0, comm = 0;
        foreach (var (g, ops) in groups)
        {
            total += g.Count * ops.Sum(o => o.Time.DeviceSeconds);
            flops += g.Count * ops.Sum(o => o.Time.Flops);
            comm += g.Count * ops.Where(o => o.Time.Bound == BoundKind.Communication).Sum(o => o.Time.DeviceSeconds);
        }
        var layers = groups.Where(x => x.Group.Kind is OpGroupKind.DenseLayer or OpGroupKind.MoeLayer).ToList();
        var summaries = layers.Select(x =>
            new LayerSummary(x.Group.Label, x.Group.Count, x.Ops.Sum(o => o.Time.DeviceSeconds),
                x.Ops.Sum(o => o.Time.Flops))).ToList();
        List<ProfiledOp> Of(OpGroupKind kind) =>
            groups.Where(x => x.Group.Kind == kind).SelectMany(x => x.Ops).ToList();
        string trace = ChromeTrace.Write(device, r, Of(OpGroupKind.Embedding),
            layers.Select(x => (x.Group.Label, x.Ops)).ToList(),
            Of(OpGroupKind.PipelineHop), Of(OpGroupKind.Head));
        var table = groups.SelectMany(x => x.Ops).ToList();
        return new ModelProfile(table, summaries, total, flops, comm, trace);
    }

    private static ProfiledOp Time(DeviceTiming t, string kind, OpShape op) =>
        new(kind, op.Name, OpKind(op), op.Describe(), TimingModel.Estimate(t, op, ""));

    private static string OpKind(OpShape op) => op switch
    {
        GemmShape => "gemm",
        GroupedGemmShape => "grouped_gemm",
        AttentionShape => "attention",
        CollectiveShape => "collective",
        _ => "elementwise",
    };

    private static void Validate(ProfileRequest r)
    {
        var a = r.Model;
        if (r.Batch <= 0) throw new InvalidFieldException("batch", $"must be positive (got {r.Batch})");
        if (r.SequenceLength <= 0)
            throw new InvalidFieldException("sequence_length", $"must be positive (got {r.SequenceLength})");
        if ((double)r.Batch * (r.Phase == InferencePhase.Prefill ? r.SequenceLength : 1) > int.MaxValue)
            throw new InvalidFieldException("batch",
                "batch × tokens per sequence exceeds 2^31 tokens per forward pass");
        if (r.SequenceLength > int.MaxValue) throw new InvalidFieldException("sequence_length", "exceeds 2^31 tokens");
        if (r.TensorParallel <= 0) throw new InvalidFieldException("tensor_parallel", "must not be negative");
        if (r.ExpertParallel <= 0) throw new InvalidFieldException("expert_parallel", "must not be negative");
        if (r.PipelineParallel <= 0) throw new InvalidFieldException("pipeline_parallel", "must not be negative");
        if (a.NumAttentionHeads % r.TensorParallel != 0)
            throw new InvalidFieldException("tensor_parallel",
                $"must divide the {a.NumAttentionHeads} attention heads");
        if (r.ExpertParallel > 1 && !a.IsMoe)
            throw new InvalidFieldException("expert_parallel", $"{a.Name} has no experts; use 1");
        if (a.IsMoe && a.Moe!.RoutedExperts % r.ExpertParallel != 0)
            throw new InvalidFieldException("expert_parallel", $"must divide the {a.Moe.RoutedExperts} routed experts");
        if (r.PipelineParallel > a.NumLayers)
            throw new InvalidFieldException("pipeline_parallel", $"exceeds the {a.NumLayers} layers");
    }
}
