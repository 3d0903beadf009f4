using InferenceScheduler.Domain.Serving;
using Platform.Modeling;
using Platform.Modeling.Ops;

namespace InferenceScheduler.Domain.Timing;

/// <summary>One op of the profile: its time, times <see cref="Multiplier"/>, adds to grid point <see cref="Point"/> of
/// <see cref="Table"/>. <see cref="AfterFirstCollective"/>: the op follows its layer's first collective (the FFN side
/// of a layer and its second collective, which two-batch overlap pipelines apart from the attention side).</summary>
public sealed record ProfileOp(ProfileTable Table, int Point, double Multiplier, OpShape Op,
    bool AfterFirstCollective = false);

/// <summary>The tables a step-time profile interpolates.</summary>
public enum ProfileTable
{
    /// <summary>Per-token GEMMs and elementwise ops of every layer, by batch tokens.</summary>
    Linear,
    /// <summary>TP all-reduce, EP all-to-all and PP send/recv, by batch tokens.</summary>
    Communication,
    /// <summary>Output head (logits), by sampled sequences.</summary>
    Head,
    /// <summary>Decode attention of every layer, by total KV context tokens read.</summary>
    DecodeAttention,
    /// <summary>Prefill attention of every layer, by causal query–key pairs.</summary>
    PrefillAttention,
}

/// <summary>
/// The bounded set of ops whose emulator times make a step-time profile of one (model, instance layout,
/// accelerator), from the platform's one decomposition (<see cref="ModelOps"/>): every layer's token-wise ops at a log
/// grid of batch sizes, attention at grids of context and chunk sizes.
/// About 400 ops, asked once per (model, deployment) and cached; the simulator only interpolates.
/// </summary>
public sealed class StepProfilePlan
{
    // 1 .. 131072
    public static readonly double[] TokenGrid = Enumerable.Range(0, 18).Select(i => Math.Pow(2, i)).ToArray();
    public static readonly double[] ContextGrid = [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216,
        67108864];
    public static readonly double[] ChunkGrid = [16, 64, 256, 1024, 4096, 16384, 65536];

    public ModelArchitecture Model { get; }
    public Parallelism Layout { get; }
    public NumberFormat Weights { get; }
    public NumberFormat Kv { get; }
    public double ExpertImbalance { get; }
    public int ScaleUpDomain { get; }
    public IReadOnlyList<ProfileOp> Ops { get; }

    /// <summary>Transformer layers (dense and MoE) of one instance's step.</summary>
    public int Layers { get; }

    public StepProfilePlan(ModelArchitecture model, Parallelism layout, NumberFormat weights, NumberFormat kv,
        double expertImbalance, int scaleUpDomain)
    {
        Model = model; Layout = layout; Weights = weights; Kv = kv; ExpertImbalance = expertImbalance;
        ScaleUpDomain = Math.Max(1, scaleUpDomain);
        var opLayout = new OpLayout(layout.TensorParallel, layout.ExpertParallel, layout.PipelineParallel,
            ToDataType(weights), ToDataType(kv),
            ScaleUpDomain: ScaleUpDomain, ExpertImbalance: expertImbalance);
        var ops = new List<ProfileOp>();
        for (int i = 0; i < TokenGrid.Length; i++)
        {
            long t = (long)TokenGrid[i];
            // Token-wise work of a batch of t tokens (as one prefill chunk: MLA's expanded projections, whose FLOPs and
            // weight bytes equal the absorbed decode form's), and the head over t sampled sequences.
            foreach (var g in ModelOps.Decompose(model, opLayout, PassShape.Prefill(1, t, t)))
            {
                bool layer = g.Kind is OpGroupKind.DenseLayer or OpGroupKind.MoeLayer, after = false;
                if (i == 0 && layer) Layers += (int)g.Count;
                foreach (var op in g.Ops)
                {
                    if (op is CollectiveShape)
                    {
                        ops.Add(new ProfileOp(ProfileTable.Communication, i, g.Count, op, after));
                        after = layer;
                    }
                    else if (!op.IsAttentionCore && g.Kind != OpGroupKind.Head)
                        ops.Add(new ProfileOp(ProfileTable.Linear, i, g.Count, op, after));
                }
            }
            foreach (var op in ModelOps.Decompose(model, opLayout, PassShape.Decode(t, 1)).OpsOf(OpGroupKind.Head))
                ops.Add(new ProfileOp(ProfileTable.Head, i, 1, op));
        }
        for (int i = 0; i < ContextGrid.Length; i++)
            AddAttention(ops, ProfileTable.DecodeAttention, i,
                ModelOps.Decompose(model, opLayout, PassShape.Decode(1, (long)ContextGrid[i])));
        for (int i = 0; i < ChunkGrid.Length; i++)
        {
            long len = (long)ChunkGrid[i];
            AddAttention(ops, ProfileTable.PrefillAttention, i,
                ModelOps.Decompose(model, opLayout, PassShape.Prefill(1, len, len)));
        }
        Ops = ops;
    }

    /// <summary>The attention core of every layer (fused kernel, or its materialised GEMMs and softmax).</summary>
    private static void AddAttention(List<ProfileOp> ops, ProfileTable table, int point, IReadOnlyList<OpGroup> groups)
    {
        foreach (var g in groups)
            if (g.Kind is OpGroupKind.DenseLayer or OpGroupKind.MoeLayer)
                foreach (var op in g.Ops)
                    if (op.IsAttentionCore) ops.Add(new ProfileOp(table, point, g.Count, op));
    }

    public static DataType ToDataType(NumberFormat f) => f switch
    {
        NumberFormat.Fp8 => DataType.Fp8E4M3,
        NumberFormat.Fp16 => DataType.Fp16,
        NumberFormat.Fp32 => DataType.Fp32,
        _ => DataType.Bf16,
    };

    /// <summary>
    /// Slow-down of compute-bound kernels when <paramref name="reservedUnits"/> of the accelerator's
    /// <paramref name="computeUnits"/> run communication kernels throughout the step (DeepEP holds 20 of 132 H800 SMs,
    /// DeepSeek-V3 report s3.2.2): throughput is proportional to the units left, so time scales by units / (units -
    /// reserved).
    /// </summary>
    public static double ComputeSlowdown(int computeUnits, int reservedUnits) =>
        reservedUnits <= 0 || computeUnits <= 0 ? 1 : (double)computeUnits / (computeUnits - reservedUnits);

    /// <summary>Query–key pairs of the prefill grid points (the x axis of the prefill-attention table).</summary>
    public static double[] PrefillPairsGrid => ChunkGrid.Select(l => StepShape.ChunkPairs((int)l, 0)).ToArray();

    /// <summary>
    /// Builds the model from the emulator's seconds for <see cref="Ops"/>, in order. <paramref name="computeSlowdown"/>
    /// (at least 1) multiplies the time of every compute-bound op (<paramref name="computeBound"/>, one flag per op):
    /// it models compute units held by communication kernels (<see cref="ComputeSlowdown"/>). Memory-bound ops keep
    /// their time: the remaining units still saturate HBM, and communication has its own table.
    /// </summary>
    public ProfiledStepTimeModel Build(IReadOnlyList<double> seconds, double overheadSeconds, bool overlapCommunication,
        string source, IReadOnlyList<bool>? computeBound = null, double computeSlowdown = 1,
        OverlapSchedule schedule = OverlapSchedule.Ideal)
    {
        if (seconds.Count != Ops.Count) throw new ArgumentException("one time per op", nameof(seconds));
        if (computeBound is not null && computeBound.Count != Ops.Count)
            throw new ArgumentException("one flag per op", nameof(computeBound));
        if (!(computeSlowdown >= 1))
            throw new ArgumentOutOfRangeException(nameof(computeSlowdown), "must be at least 1");
        var lin = new double[TokenGrid.Length];
        var comm = new double[TokenGrid.Length];
        var ffn = new double[TokenGrid.Length];
        var second = new double[TokenGrid.Length];
        var head = new double[TokenGrid.Length];
        var dec = new double[ContextGrid.Length];
        var pre = new double[ChunkGrid.Length];
        for (int i = 0; i < Ops.Count; i++)
        {
            var op = Ops[i];
            double v = seconds[i] * op.Multiplier;
            if (op.Table != ProfileTable.Communication && computeBound is not null && computeBound[i])
                v *= computeSlowdown;
            switch (op.Table)
            {
                case ProfileTable.Linear:
                    lin[op.Point] += v;
                    if (op.AfterFirstCollective) ffn[op.Point] += v;
                    break;
                case ProfileTable.Communication:
                    comm[op.Point] += v;
                    if (op.AfterFirstCollective) second[op.Point] += v;
                    break;
                case ProfileTable.Head: head[op.Point] += v; break;
                case ProfileTable.DecodeAttention: dec[op.Point] += v; break;
                case ProfileTable.PrefillAttention: pre[op.Point] += v; break;
            }
        }
        return new ProfiledStepTimeModel(
            new Table(TokenGrid, lin), new Table(TokenGrid, comm), new Table(TokenGrid, head),
            new Table(ContextGrid, dec), new Table(PrefillPairsGrid, pre), overheadSeconds, overlapCommunication,
            source)
        {
            Schedule = schedule, FfnLinear = new Table(TokenGrid, ffn),
            SecondCommunication = new Table(TokenGrid, second),
            Layers = Math.Max(1, Layers),
        };
    }
}
