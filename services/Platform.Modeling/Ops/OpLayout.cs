namespace Platform.Modeling.Ops;

/// <summary>Which pass of the model the ops describe.</summary>
public enum Phase
{
    /// <summary>A training micro-batch's forward pass (whole sequences, causal, logits and loss for every
    /// token).</summary>
    Training,
    /// <summary>A prefill chunk: new tokens of each sequence attend causally up to the chunk's end; logits for the last
    /// position.</summary>
    Prefill,
    /// <summary>A decode step: one new token per sequence attends over its context; MLA runs in the absorbed
    /// form.</summary>
    Decode,
}

/// <summary>
/// One forward pass: <see cref="Sequences"/> sequences of <see cref="QueryLen"/> new tokens each, attending over
/// <see cref="ContextLen"/> tokens (the chunk's end position in prefill, the context in decode).
/// </summary>
public sealed record PassShape(Phase Phase, long Sequences, long QueryLen, long ContextLen)
{
    public long Tokens => Sequences * QueryLen;

    public static PassShape Training(long microBatch, long sequenceLength) =>
        new(Phase.Training, microBatch, sequenceLength, sequenceLength);

    public static PassShape Prefill(long sequences, long chunkTokens, long contextTokens) =>
        new(Phase.Prefill, sequences, chunkTokens, Math.Max(chunkTokens, contextTokens));

    public static PassShape Decode(long sequences, long contextTokens) =>
        new(Phase.Decode, sequences, 1, contextTokens);
}

/// <summary>
/// How one model replica is laid out over accelerators, as far as one accelerator's ops are concerned.
/// </summary>
/// <param name="TensorParallel">Heads and FFN columns are split this many ways (Megatron TP).</param>
/// <param name="ExpertParallel">Routed experts are spread over this many ranks (expert TP is 1 when EP &gt; 1); each
/// rank brings its ⌈tokens / TP⌉ tokens to the EP group (sequence-parallel training; DP attention in
/// serving).</param>
/// <param name="PipelineParallel">Pipeline stages (one activation hop between neighbours).</param>
/// <param name="GemmFormat">Format of the weight GEMMs (FP8 in DeepSeek-V3; attention core, norms, router and head stay
/// 16-bit).</param>
/// <param name="KvFormat">Format of the KV cache that decode attention reads.</param>
/// <param name="MaterializedAttention">No fused (flash) attention kernel: the score matrix is written to HBM,
/// soft-maxed and read back, and both attention GEMMs run unmasked (Megatron-LM before 2022).</param>
/// <param name="ScaleUpDomain">Accelerators per scale-up (NVLink) domain: collectives within it stay on the fast
/// links.</param>
/// <param name="ExpertImbalance">Rows of the busiest rank's experts over the balanced share (1 = perfectly balanced
/// routing).</param>
public sealed record OpLayout(int TensorParallel = 1, int ExpertParallel = 1, int PipelineParallel = 1,
    DataType GemmFormat = DataType.Bf16, DataType KvFormat = DataType.Bf16, bool MaterializedAttention = false,
    int ScaleUpDomain = 8, double ExpertImbalance = 1);

/// <summary>What a group of ops is: the model's pieces in execution order.</summary>
public enum OpGroupKind { Embedding, DenseLayer, MoeLayer, Mtp, PipelineHop, Head }

/// <summary><see cref="Ops"/> run <see cref="Count"/> times per pass (e.g. once per dense layer).</summary>
public sealed record OpGroup(OpGroupKind Kind, long Count, IReadOnlyList<OpShape> Ops)
{
    /// <summary>Lower-case name of the group as reports show it ("dense", "moe", "head", …).</summary>
    public string Label => Kind switch
    {
        OpGroupKind.DenseLayer => "dense",
        OpGroupKind.MoeLayer => "moe",
        OpGroupKind.PipelineHop => "pipeline",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}
