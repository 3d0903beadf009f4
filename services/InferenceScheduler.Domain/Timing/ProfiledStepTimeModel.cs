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
/// With <see cref="OverlapCommunication"/> (DeepSeek's dual micro-batch overlap) communication hides behind compute.
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

    public double StepSeconds(in StepShape s)
    {
        int t = s.Tokens;
        if (t <= 0) return OverheadSeconds;
        double compute = Linear.At(t) + Head.At(s.DecodeSequences + s.PrefillSequences);
        if (s.DecodeSequences > 0) compute += DecodeAttention.At(s.DecodeContextTokens);
        if (s.PrefillTokens > 0)
            compute += s.PrefillAttentionSeconds > 0 ? s.PrefillAttentionSeconds
                : PrefillAttention.At(s.PrefillAttentionPairs);
        double comm = Communication.At(t);
        return OverheadSeconds + (OverlapCommunication ? Math.Max(compute, comm) : compute + comm);
    }

    /// <summary>The prefill-attention table at this chunk's own causal pairs: a batch of short prompts is timed at
    /// their short length, not at the length whose pairs equal the batch's sum.</summary>
    public double PrefillChunkAttentionSeconds(int tokens, int context) =>
        tokens <= 0 ? 0 : PrefillAttention.At(StepShape.ChunkPairs(tokens, context));

    public string Describe() =>
        $"emulator profile ({source}), overhead {OverheadSeconds * 1e3:F2} " +
        $"ms/step{(OverlapCommunication ? ", communication overlapped" : "")}";
}
