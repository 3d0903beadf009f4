namespace InferenceScheduler.Domain.Live;

/// <summary>
/// Where a request that does not ignore EOS stops, drawn as the llm-d vLLM simulator (llm-d-inference-sim, "random"
/// mode) draws a response's length from max_tokens: at most 1 token → max_tokens; up to 6 tokens → uniform over
/// [1, max_tokens]; otherwise 15% of requests run to max_tokens, and the other 85% fall in five buckets over
/// [1, max_tokens - 1] with probabilities 20%, 30%, 20%, 5% and 10%, uniform within the bucket. The buckets are equal
/// in width up to max_tokens = 101; above it they are 20 tokens wide except the fourth, which stretches over the rest.
/// The draw is deterministic: the same seed gives the same stop point. A request that stops before max_tokens finishes
/// with reason "stop", one that reaches it with "length".
/// </summary>
public static class EndOfSequence
{
    /// <summary>The buckets' probabilities; the last is the chance of running to max_tokens.</summary>
    private static readonly double[] Probabilities = [0.2, 0.3, 0.2, 0.05, 0.1, 0.15];

    private const int FixedBucketWidth = 20;
    private const int StretchedBucket = 3;

    /// <summary>The tokens a request of <paramref name="maxTokens"/> generates before its EOS (1 to
    /// max_tokens).</summary>
    public static int Length(int maxTokens, ulong seed)
    {
        if (maxTokens <= 1) return maxTokens;
        ulong state = seed;
        if (maxTokens <= Probabilities.Length) return 1 + (int)(Next(ref state) % (ulong)maxTokens);
        double r = Unit(ref state);
        int bucket = Probabilities.Length - 1;
        double cumulative = 0;
        for (int i = 0; i < Probabilities.Length; i++)
        {
            cumulative += Probabilities[i];
            if (r < cumulative) { bucket = i; break; }
        }
        if (bucket == Probabilities.Length - 1) return maxTokens;
        var (first, last) = Bucket(maxTokens, bucket);
        return first + (int)(Next(ref state) % (ulong)(last - first + 1));
    }

    /// <summary>The token range of one of the five buckets below max_tokens.</summary>
    internal static (int First, int Last) Bucket(int maxTokens, int bucket)
    {
        int buckets = Probabilities.Length - 1;
        int first, last;
        if (maxTokens <= FixedBucketWidth * buckets + 1)
        {
            double width = (maxTokens - 1) / (double)buckets;
            first = (int)(width * bucket) + 1;
            last = (int)(width * (bucket + 1));
        }
        else
        {
            int stretched = maxTokens - FixedBucketWidth * (buckets - 1);
            if (bucket < StretchedBucket)
            {
                first = FixedBucketWidth * bucket + 1;
                last = FixedBucketWidth * (bucket + 1);
            }
            else if (bucket == StretchedBucket)
            {
                first = FixedBucketWidth * bucket + 1;
                last = FixedBucketWidth * bucket + stretched;
            }
            else
            {
                first = FixedBucketWidth * (bucket - 1) + stretched + 1;
                last = FixedBucketWidth * bucket + stretched;
            }
        }
        last = Math.Min(last, maxTokens - 1);
        return (first, Math.Max(first, last));
    }

    /// <summary>SplitMix64.</summary>
    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static double Unit(ref ulong state) => (Next(ref state) >> 11) * (1.0 / (1UL << 53));
}
