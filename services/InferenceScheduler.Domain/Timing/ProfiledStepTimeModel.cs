namespace InferenceScheduler.Domain.Timing;

/// <summary>A piecewise-linear function on an increasing grid; below the grid it holds the first value, above it
/// extends the last segment.</summary>
public sealed class Table(double[] x, double[] y)
{
    private readonly double[] _x = x;
    private readonly double[] _y = y;
    public IReadOnlyList<double> X => _x;
    public IReadOnlyList<double> Y => _y;

    public double At(double v)
    {
        var xs = _x;
        if (v <= xs[0]) return _y[0];
        int hi = 1;
        while (hi < xs.Length - 1 && xs[hi] < v) hi++;
        int lo = hi - 1;
        double f = (v - xs[lo]) / (xs[hi] - xs[lo]);
        return _y[lo] + f * (_y[hi] - _y[lo]);
    }
}

/// <summary>
/// Step time interpolated from emulator op times: per-token layer ops and communication by batch tokens, output head
/// by sampled sequences, decode attention by KV tokens read, prefill attention by causal pairs, plus a host overhead.
/// With <see cref="OverlapCommunication"/> communication hides behind compute, perfectly (<see
/// cref="OverlapSchedule.Ideal"/>: max(compute, communication)) or as two micro-batches (<see
/// cref="OverlapSchedule.TwoBatch"/>, <see cref="TwoBatchOverlap"/>).
/// </summary>
public sealed class ProfiledStepTimeModel(Table linear, Table communication, Table head, Table decodeAttention,
    Table prefillAttention, double overheadSeconds, bool overlapCommunication, string source) : IStepTimeModel
{
    public Table Linear { get; } = linear;
    public Table Communication { get; } = communication;
    public Table Head { get; } = head;
    public Table DecodeAttention { get; } = decodeAttention;
    public Table PrefillAttention { get; } = prefillAttention;
    public double OverheadSeconds { get; } = overheadSeconds;
    public bool OverlapCommunication { get; } = overlapCommunication;

    /// <summary>How overlapped communication hides (only with <see cref="OverlapCommunication"/>).</summary>
    public OverlapSchedule Schedule { get; init; } = OverlapSchedule.Ideal;

    /// <summary>The part of <see cref="Linear"/> after each layer's first collective (experts, shared experts, dense
    /// FFN), by batch tokens; null = none (all of it attention-side).</summary>
    public Table? FfnLinear { get; init; }

    /// <summary>The part of <see cref="Communication"/> after each layer's first collective (EP combine, FFN
    /// all-reduce), by batch tokens; null = none.</summary>
    public Table? SecondCommunication { get; init; }

    /// <summary>Transformer layers the per-layer tables sum over (two-batch overlap pipelines per layer).</summary>
    public int Layers { get; init; } = 1;

    public double StepSeconds(in StepShape s)
    {
        int t = s.Tokens;
        if (t <= 0) return OverheadSeconds;
        double draft = DraftSeconds(s);
        // One token cannot be split into two micro-batches: nothing runs beside its communication.
        if (OverlapCommunication && Schedule == OverlapSchedule.TwoBatch)
            return OverheadSeconds + draft
                   + (t >= 2 ? TwoBatchOverlap.StepSeconds(this, s) : Compute(s) + Communication.At(t));
        double compute = Compute(s);
        double comm = Communication.At(t);
        return OverheadSeconds + draft + (OverlapCommunication ? Math.Max(compute, comm) : compute + comm);
    }

    private double Compute(in StepShape s) =>
        Linear.At(s.Tokens) + Head.At(s.HeadPositions) + AttentionSeconds(s, 1);

    /// <summary>
    /// Seconds of the MTP module drafting <see cref="StepShape.DraftTokens"/> tokens for every decode sequence
    /// (DeepSeek-V3 report §2.2: one transformer layer, the shared embedding and output head): per draft, one layer of
    /// the profile's per-layer mean (its token-wise ops and attention over the sequences' context, its collectives
    /// hidden when communication overlaps) on one token per sequence, and the head over the sequences. The drafts run
    /// one after another, after the main model's step (each needs the previous one's token).
    /// </summary>
    public double DraftSeconds(in StepShape s)
    {
        if (s.DraftTokens <= 0 || s.DecodeSequences <= 0) return 0;
        int n = s.DecodeSequences, layers = Math.Max(1, Layers);
        double compute = (Linear.At(n) + DecodeAttention.At(s.DecodeContextTokens)) / layers;
        double comm = Communication.At(n) / layers;
        double layer = OverlapCommunication ? Math.Max(compute, comm) : compute + comm;
        return s.DraftTokens * (layer + Head.At(n));
    }

    /// <summary>Attention-core seconds of step <paramref name="s"/> (decode by KV tokens read, prefill by chunk), for
    /// the <paramref name="fraction"/> of its sequences one micro-batch carries. Each of a speculative decode's 1 + k
    /// query tokens is charged a decode over the sequence's context: MLA's absorbed decode runs near the accelerator's
    /// ridge point with one query token, so a second one costs about as much again (an upper bound where attention is
    /// memory-bound and the kernel reads the KV once for all of them).</summary>
    public double AttentionSeconds(in StepShape s, double fraction)
    {
        double seconds = 0;
        if (s.DecodeSequences > 0)
            seconds += DecodeAttention.At(s.DecodeContextTokens * (1.0 + s.DraftTokens) * fraction);
        if (s.PrefillTokens > 0)
            seconds += s.PrefillAttentionSeconds > 0 ? s.PrefillAttentionSeconds * fraction
                : PrefillAttention.At(s.PrefillAttentionPairs * fraction);
        return seconds;
    }

    /// <summary>The prefill-attention table at this chunk's own causal pairs: a batch of short prompts is timed at
    /// their short length, not at the length whose pairs equal the batch's sum.</summary>
    public double PrefillChunkAttentionSeconds(int tokens, int context) =>
        tokens <= 0 ? 0 : PrefillAttention.At(StepShape.ChunkPairs(tokens, context));

    public string Describe() =>
        $"emulator profile ({source}), overhead {OverheadSeconds * 1e3:F2} ms/step" +
        (!OverlapCommunication ? ""
            : Schedule == OverlapSchedule.TwoBatch ? ", communication overlapped by two micro-batches"
            : ", communication overlapped");
}
