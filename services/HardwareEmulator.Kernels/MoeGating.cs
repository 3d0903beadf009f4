namespace HardwareEmulator.Kernels;

/// <summary>How router logits become expert scores.</summary>
public enum MoeScoring { Softmax = 0, Sigmoid = 1 }

/// <summary>
/// Router settings in Hugging Face config terms: num_experts_per_tok (<paramref name="TopK"/>), scoring_func,
/// n_group, topk_group, norm_topk_prob, routed_scaling_factor. DeepSeek-V3: TopK 8 of 256, Sigmoid, 8 groups,
/// 4 groups kept, normalized, scaling 2.5. Mixtral: TopK 2 of 8, Softmax, normalized.
/// </summary>
public sealed record MoeRouting(int TopK, MoeScoring Scoring = MoeScoring.Softmax, int Groups = 1, int TopKGroups = 1,
    bool NormalizeTopK = true, float ScalingFactor = 1f);

/// <summary>MoE top-k routing with DeepSeek group-limited selection.</summary>
public static class MoeGating
{
    /// <summary>
    /// For each token (row of <paramref name="logits"/>, [tokens, experts]): scores = softmax or sigmoid of the
    /// logits; choice = scores + <paramref name="correctionBias"/> (DeepSeek-V3's aux-loss-free balancing bias, used
    /// for selection only; empty = none). With Groups &gt; 1 the experts split into equal groups, each group is scored
    /// (sum of its top-2 choices for sigmoid routing as in DeepSeek-V3; its max for softmax routing as in DeepSeek-V2),
    /// and only the best TopKGroups groups stay eligible. The TopK eligible experts with the highest choice are written
    /// to <paramref name="indices"/> ([tokens, TopK], best first, ties to the lower index) and their scores (without
    /// bias) to <paramref name="weights"/>, renormalized to sum 1 when NormalizeTopK, then times ScalingFactor.
    /// Selection logic is scalar (a few hundred experts per token); tokens run in parallel.
    /// </summary>
    public static unsafe void TopK(ReadOnlySpan<float> logits, int tokens, int experts, MoeRouting routing,
        Span<int> indices, Span<float> weights, ReadOnlySpan<float> correctionBias = default, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(routing);
        Validate(logits, tokens, experts, routing, indices, weights, correctionBias);
        int t = Check.Threads(threads);
        var biasArr = correctionBias.ToArray();
        int topK = routing.TopK;
        fixed (float* pl = logits) fixed (int* pi = indices) fixed (float* pw = weights)
        {
            nint il = (nint)pl, ii = (nint)pi, iw = (nint)pw;
            Simd.ParallelRanges(tokens, 8L * experts, t, (lo, hi) =>
            {
                var scores = new float[experts];
                var choice = new float[experts];
                var work = new Scratch(new float[routing.Groups], new bool[routing.Groups], new bool[experts]);
                for (int tok = lo; tok < hi; tok++)
                    RouteToken(new ReadOnlySpan<float>((float*)il + (long)tok * experts, experts), biasArr, routing,
                        scores, choice, work, new Span<int>((int*)ii + (long)tok * topK, topK),
                        new Span<float>((float*)iw + (long)tok * topK, topK));
            });
        }
    }

    private sealed record Scratch(float[] GroupScore, bool[] Keep, bool[] Taken);

    private static void RouteToken(ReadOnlySpan<float> logits, float[] bias, MoeRouting r, float[] scores,
        float[] choice, Scratch work, Span<int> idx, Span<float> w)
    {
        int e = logits.Length;
        if (r.Scoring == MoeScoring.Sigmoid)
            for (int i = 0; i < e; i++) scores[i] = 1f / (1f + MathF.Exp(-logits[i]));
        else
        {
            float max = float.NegativeInfinity;
            foreach (float x in logits) max = MathF.Max(max, x);
            float sum = 0f;
            for (int i = 0; i < e; i++) { scores[i] = MathF.Exp(logits[i] - max); sum += scores[i]; }
            float inv = 1f / sum;
            for (int i = 0; i < e; i++) scores[i] *= inv;
        }
        for (int i = 0; i < e; i++) choice[i] = bias.Length > 0 ? scores[i] + bias[i] : scores[i];

        if (r.Groups > 1)
        {
            int size = e / r.Groups;
            var groupScore = work.GroupScore;
            for (int g = 0; g < r.Groups; g++)
            {
                float best = float.NegativeInfinity, second = float.NegativeInfinity;
                for (int i = g * size; i < (g + 1) * size; i++)
                {
                    float c = choice[i];
                    if (c > best) { second = best; best = c; }
                    else if (c > second) second = c;
                }
                groupScore[g] = r.Scoring == MoeScoring.Sigmoid && size >= 2 ? best + second : best;
            }
            var keep = work.Keep;
            Array.Clear(keep);
            for (int n = 0; n < r.TopKGroups; n++)
            {
                int arg = -1;
                for (int g = 0; g < r.Groups; g++)
                    if (!keep[g] && (arg < 0 || groupScore[g] > groupScore[arg])) arg = g;
                keep[arg] = true;
            }
            for (int g = 0; g < r.Groups; g++)
                if (!keep[g])
                    for (int i = g * size; i < (g + 1) * size; i++) choice[i] = float.NegativeInfinity;
        }

        var taken = work.Taken;
        Array.Clear(taken);
        double total = 0;
        for (int n = 0; n < r.TopK; n++)
        {
            int arg = -1;
            for (int i = 0; i < e; i++)
                if (!taken[i] && choice[i] != float.NegativeInfinity && (arg < 0 || choice[i] > choice[arg])) arg = i;
            taken[arg] = true;
            idx[n] = arg;
            w[n] = scores[arg];
            total += scores[arg];
        }
        double norm = r.NormalizeTopK ? r.ScalingFactor / (total + 1e-20) : r.ScalingFactor; // 1e-20 as in DeepSeek-V3
        for (int n = 0; n < r.TopK; n++) w[n] = (float)(w[n] * norm);
    }

    private static void Validate(ReadOnlySpan<float> logits, int tokens, int experts, MoeRouting r,
        Span<int> indices, Span<float> weights, ReadOnlySpan<float> bias)
    {
        Check.Positive(tokens, nameof(tokens));
        Check.Positive(experts, nameof(experts));
        Check.Positive(r.TopK, "topK");
        Check.Positive(r.Groups, "groups");
        Check.Positive(r.TopKGroups, "topKGroups");
        if (r.Scoring is not (MoeScoring.Softmax or MoeScoring.Sigmoid))
            throw new KernelArgumentException("scoring", $"unknown scoring {(int)r.Scoring}");
        if (experts % r.Groups != 0)
            throw new KernelArgumentException("groups",
                $"experts ({experts}) must split evenly into {r.Groups} groups");
        if (r.TopKGroups > r.Groups)
            throw new KernelArgumentException("topKGroups", $"must be ≤ groups ({r.Groups}), got {r.TopKGroups}");
        if (r.TopK > r.TopKGroups * (experts / r.Groups))
            throw new KernelArgumentException("topK",
                $"must be ≤ the experts in the kept groups ({r.TopKGroups * (experts / r.Groups)}), got {r.TopK}");
        if (!float.IsFinite(r.ScalingFactor) || r.ScalingFactor <= 0)
            throw new KernelArgumentException("scalingFactor", $"must be finite and positive, got {r.ScalingFactor}");
        Check.Length(logits.Length, (long)tokens * experts, nameof(logits), $"tokens×experts = {tokens}×{experts}");
        Check.AllFinite(logits, nameof(logits));
        if (!bias.IsEmpty)
        {
            Check.Length(bias.Length, experts, "correctionBias", $"experts = {experts}");
            Check.AllFinite(bias, "correctionBias");
        }
        Check.Length(indices.Length, (long)tokens * r.TopK, nameof(indices), $"tokens×topK = {tokens}×{r.TopK}");
        Check.Length(weights.Length, (long)tokens * r.TopK, nameof(weights), $"tokens×topK = {tokens}×{r.TopK}");
    }
}
