using InferenceScheduler.Domain.Serving;
using Platform.Modeling;

namespace InferenceScheduler.Domain.Timing;

/// <summary>One op of the profile: its time, times <see cref="Multiplier"/>, adds to grid point <see cref="Point"/> of <see cref="Table"/>.</summary>
public sealed record ProfileOp(ProfileTable Table, int Point, double Multiplier, OpShape Op);

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
/// accelerator): one transformer layer's ops at a log grid of batch sizes, attention at a grid of context sizes.
/// About 400 ops, asked once per (model, deployment) and cached; the simulator only interpolates.
/// </summary>
public sealed class StepProfilePlan
{
    public static readonly double[] TokenGrid = Enumerable.Range(0, 18).Select(i => Math.Pow(2, i)).ToArray(); // 1 .. 131072
    public static readonly double[] ContextGrid = [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
    public static readonly double[] ChunkGrid = [16, 64, 256, 1024, 4096, 16384, 65536];

    public ModelArchitecture Model { get; }
    public Parallelism Layout { get; }
    public NumberFormat Weights { get; }
    public NumberFormat Kv { get; }
    public double ExpertImbalance { get; }
    public int ScaleUpDomain { get; }
    public IReadOnlyList<ProfileOp> Ops { get; }

    public StepProfilePlan(ModelArchitecture model, Parallelism layout, NumberFormat weights, NumberFormat kv, double expertImbalance, int scaleUpDomain)
    {
        Model = model; Layout = layout; Weights = weights; Kv = kv; ExpertImbalance = expertImbalance; ScaleUpDomain = Math.Max(1, scaleUpDomain);
        var ops = new List<ProfileOp>();
        for (int i = 0; i < TokenGrid.Length; i++) AddLayerOps(ops, i, (long)TokenGrid[i]);
        for (int i = 0; i < TokenGrid.Length; i++)
            ops.Add(new ProfileOp(ProfileTable.Head, i, 1, new GemmShape((long)TokenGrid[i], model.VocabSize / layout.TensorParallel, model.HiddenSize, Weights)));
        for (int i = 0; i < ContextGrid.Length; i++) ops.Add(new ProfileOp(ProfileTable.DecodeAttention, i, model.NumLayers, DecodeAttention((long)ContextGrid[i])));
        for (int i = 0; i < ChunkGrid.Length; i++) ops.Add(new ProfileOp(ProfileTable.PrefillAttention, i, model.NumLayers, PrefillAttention((long)ChunkGrid[i])));
        Ops = ops;
    }

    /// <summary>
    /// Slow-down of compute-bound kernels when <paramref name="reservedUnits"/> of the accelerator's
    /// <paramref name="computeUnits"/> run communication kernels throughout the step (DeepEP holds 20 of 132 H800 SMs,
    /// DeepSeek-V3 report s3.2.2): throughput is proportional to the units left, so time scales by units / (units - reserved).
    /// </summary>
    public static double ComputeSlowdown(int computeUnits, int reservedUnits) =>
        reservedUnits <= 0 || computeUnits <= 0 ? 1 : (double)computeUnits / (computeUnits - reservedUnits);

    /// <summary>Query–key pairs of the prefill grid points (the x axis of the prefill-attention table).</summary>
    public static double[] PrefillPairsGrid => ChunkGrid.Select(l => StepShape.ChunkPairs((int)l, 0)).ToArray();

    private long Tp => Layout.TensorParallel;

    private AttentionShape DecodeAttention(long context)
    {
        var m = Model;
        long heads = m.NumAttentionHeads / Tp;
        // MLA decodes in the absorbed form: every head reads the shared latent (kv_lora_rank + rope dims), values are the latent.
        if (m.Mla is { } mla) return new AttentionShape(1, 1, context, heads, 1, mla.KvLoraRank + mla.QkRopeHeadDim, mla.KvLoraRank, false, Kv);
        long kvHeads = Math.Max(1, m.KvHeads / Tp);
        return new AttentionShape(1, 1, context, heads, kvHeads, m.EffectiveHeadDim, m.EffectiveHeadDim, false, Kv);
    }

    private AttentionShape PrefillAttention(long len)
    {
        var m = Model;
        long heads = m.NumAttentionHeads / Tp;
        // MLA prefills in the expanded (MHA) form: qk = nope + rope, v = v_head_dim, one KV head per query head.
        if (m.Mla is not null) return new AttentionShape(1, len, len, heads, heads, m.QkHeadDim, m.VHeadDim, true, NumberFormat.Bf16);
        return new AttentionShape(1, len, len, heads, Math.Max(1, m.KvHeads / Tp), m.EffectiveHeadDim, m.EffectiveHeadDim, true, NumberFormat.Bf16);
    }

    private void AddLayerOps(List<ProfileOp> ops, int point, long t)
    {
        var m = Model;
        long h = m.HiddenSize, tp = Tp;
        double dense = m.DenseLayerCount, moe = m.MoeLayerCount, all = m.NumLayers;
        void Lin(double mult, OpShape op) { if (mult > 0) ops.Add(new ProfileOp(ProfileTable.Linear, point, mult, op)); }
        void Comm(double mult, OpShape op) { if (mult > 0) ops.Add(new ProfileOp(ProfileTable.Communication, point, mult, op)); }

        // Attention projections.
        long heads = m.NumAttentionHeads / tp;
        if (m.Mla is { } mla)
        {
            long qk = m.QkHeadDim;
            if (mla.QLoraRank > 0)
            {
                Lin(all, new GemmShape(t, mla.QLoraRank, h, Weights));
                Lin(all, new GemmShape(t, heads * qk, mla.QLoraRank, Weights));
            }
            else Lin(all, new GemmShape(t, heads * qk, h, Weights));
            Lin(all, new GemmShape(t, mla.KvLoraRank + mla.QkRopeHeadDim, h, Weights));
            Lin(all, new GemmShape(t, heads * (mla.QkNopeHeadDim + mla.VHeadDim), mla.KvLoraRank, Weights));
            Lin(all, new GemmShape(t, h, heads * mla.VHeadDim, Weights));
        }
        else
        {
            long d = m.EffectiveHeadDim, kv = Math.Max(1, m.KvHeads / tp);
            Lin(all, new GemmShape(t, (heads + 2 * kv) * d, h, Weights));
            Lin(all, new GemmShape(t, h, heads * d, Weights));
        }
        Lin(all * 2, new ElementwiseShape(ElementwiseOpKind.RmsNorm, t * h, NumberFormat.Bf16));
        Lin(all, new ElementwiseShape(ElementwiseOpKind.Rope, t * heads * m.QkHeadDim, NumberFormat.Bf16));

        // Dense FFN layers.
        long inter = m.IntermediateSize / tp;
        Lin(dense, new GemmShape(t, 2 * inter, h, Weights));
        Lin(dense, new GemmShape(t, h, inter, Weights));
        Lin(dense, new ElementwiseShape(ElementwiseOpKind.SwiGlu, t * 2 * inter, NumberFormat.Bf16));

        // MoE layers: router, routed experts as a grouped GEMM over this rank's experts, shared experts.
        if (m.Moe is { } e && moe > 0)
        {
            Lin(moe, new GemmShape(t, e.RoutedExperts, h, NumberFormat.Bf16));
            Lin(moe, new ElementwiseShape(ElementwiseOpKind.MoeGating, t * e.RoutedExperts, NumberFormat.Bf16));
            long[] groups = ExpertGroups(t, e);
            long expInter = Layout.ExpertParallel > 1 ? e.ExpertIntermediateSize : e.ExpertIntermediateSize / tp;
            if (groups.Length > 0)
            {
                Lin(moe, new GroupedGemmShape(groups, 2 * expInter, h, Weights));
                Lin(moe, new GroupedGemmShape(groups, h, expInter, Weights));
                Lin(moe, new ElementwiseShape(ElementwiseOpKind.SwiGlu, groups.Sum() * 2 * expInter, NumberFormat.Bf16));
            }
            if (e.SharedExperts > 0)
            {
                long sharedInter = e.SharedExperts * e.ExpertIntermediateSize / tp;
                Lin(moe, new GemmShape(t, 2 * sharedInter, h, Weights));
                Lin(moe, new GemmShape(t, h, sharedInter, Weights));
            }
            if (Layout.ExpertParallel > 1)
            {
                int ep = Layout.ExpertParallel, perNode = Math.Min(ep, ScaleUpDomain);
                // DeepEP-style: dispatch in FP8 (1 byte per element), combine in BF16, every routed copy of a token.
                long copies = (long)Math.Ceiling(t * e.ExpertsPerToken / (double)tp);
                Comm(moe, new CollectiveShape(CollectiveOpKind.AllToAll, copies * h, ep, perNode));
                Comm(moe, new CollectiveShape(CollectiveOpKind.AllToAll, copies * h * 2, ep, perNode));
            }
        }
        if (tp > 1) Comm(all * 2, new CollectiveShape(CollectiveOpKind.AllReduce, t * h * 2, (int)tp, (int)Math.Min(tp, ScaleUpDomain)));
        if (Layout.PipelineParallel > 1)
            Comm(Layout.PipelineParallel - 1, new CollectiveShape(CollectiveOpKind.SendRecv, t * h * 2, 2, 1));
    }

    /// <summary>
    /// Rows per local expert on the busiest rank. Local expert assignments A = DP x T x top-k x imbalance / EP (T x top-k without EP) spread over
    /// G local experts; with few tokens only the expected number of distinct experts, G(1 - (1 - 1/G)^A), is touched.
    /// </summary>
    private long[] ExpertGroups(long t, MoeConfig e)
    {
        int ep = Layout.ExpertParallel;
        long g = ep > 1 ? Parallelism.ExpertsPerRank(e.RoutedExperts, ep) : e.RoutedExperts;
        // The EP group's DP instances each route T tokens x top-k; spread over EP ranks (redundant experts balance the spare slots).
        double assignments = (ep > 1 ? (double)Layout.DataParallel * t * e.ExpertsPerToken / ep : (double)t * e.ExpertsPerToken) * ExpertImbalance;
        if (assignments <= 0) return [];
        double active = g * (1 - Math.Pow(1 - 1.0 / g, assignments));
        int n = (int)Math.Clamp(Math.Round(active), 1, g);
        long total = (long)Math.Ceiling(assignments);
        var rows = new long[n];
        for (int i = 0; i < n; i++) rows[i] = total / n + (i < total % n ? 1 : 0);
        return rows.Where(r => r > 0).ToArray();
    }

    /// <summary>
    /// Builds the model from the emulator's seconds for <see cref="Ops"/>, in order. <paramref name="computeSlowdown"/>
    /// (at least 1) multiplies the time of every compute-bound op (<paramref name="computeBound"/>, one flag per op):
    /// it models compute units held by communication kernels (<see cref="ComputeSlowdown"/>). Memory-bound ops keep
    /// their time: the remaining units still saturate HBM, and communication has its own table.
    /// </summary>
    public ProfiledStepTimeModel Build(IReadOnlyList<double> seconds, double overheadSeconds, bool overlapCommunication, string source,
        IReadOnlyList<bool>? computeBound = null, double computeSlowdown = 1)
    {
        if (seconds.Count != Ops.Count) throw new ArgumentException("one time per op", nameof(seconds));
        if (computeBound is not null && computeBound.Count != Ops.Count) throw new ArgumentException("one flag per op", nameof(computeBound));
        if (!(computeSlowdown >= 1)) throw new ArgumentOutOfRangeException(nameof(computeSlowdown), "must be at least 1");
        var lin = new double[TokenGrid.Length];
        var comm = new double[TokenGrid.Length];
        var head = new double[TokenGrid.Length];
        var dec = new double[ContextGrid.Length];
        var pre = new double[ChunkGrid.Length];
        for (int i = 0; i < Ops.Count; i++)
        {
            var op = Ops[i];
            double v = seconds[i] * op.Multiplier;
            if (op.Table != ProfileTable.Communication && computeBound is not null && computeBound[i]) v *= computeSlowdown;
            switch (op.Table)
            {
                case ProfileTable.Linear: lin[op.Point] += v; break;
                case ProfileTable.Communication: comm[op.Point] += v; break;
                case ProfileTable.Head: head[op.Point] += v; break;
                case ProfileTable.DecodeAttention: dec[op.Point] += v; break;
                case ProfileTable.PrefillAttention: pre[op.Point] += v; break;
            }
        }
        return new ProfiledStepTimeModel(
            new Table(TokenGrid, lin), new Table(TokenGrid, comm), new Table(TokenGrid, head),
            new Table(ContextGrid, dec), new Table(PrefillPairsGrid, pre), overheadSeconds, overlapCommunication, source);
    }
}
