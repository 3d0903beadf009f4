namespace InferenceScheduler.Domain.Metrics;

/// <summary>Summary of a distribution (milliseconds or whatever unit was recorded).</summary>
public readonly record struct DistributionSummary(double Mean, double P50, double P90, double P99, double Min,
    double Max, long Count);

/// <summary>
/// Fixed-memory histogram with log-spaced buckets: 128 per power of two (relative error under 0.3%), read
/// straight from the IEEE-754 exponent and top mantissa bits. Exact count, mean, min and max. Values are
/// clamped to [2^-20, 2^40]; zero and negatives fall into the first bucket.
/// </summary>
public sealed class LogHistogram
{
    private const int SubBits = 7;
    private const int MinExp = -20, MaxExp = 40;
    private const int Buckets = (MaxExp - MinExp) << SubBits;
    private readonly long[] _counts = new long[Buckets];
    private double _sum, _min = double.PositiveInfinity, _max = double.NegativeInfinity;
    private long _n;

    public long Count => _n;

    public void Add(double v)
    {
        _n++;
        _sum += v;
        if (v < _min) _min = v;
        if (v > _max) _max = v;
        _counts[Index(v)]++;
    }

    private static int Index(double v)
    {
        if (!(v > 0)) return 0;
        long bits = BitConverter.DoubleToInt64Bits(v);
        int exp = (int)((bits >> 52) & 0x7FF) - 1023;
        if (exp < MinExp) return 0;
        if (exp >= MaxExp) return Buckets - 1;
        int sub = (int)((bits >> (52 - SubBits)) & ((1 << SubBits) - 1));
        return ((exp - MinExp) << SubBits) | sub;
    }

    /// <summary>Geometric middle of a bucket.</summary>
    private static double Value(int i)
    {
        int exp = (i >> SubBits) + MinExp, sub = i & ((1 << SubBits) - 1);
        double lo = Math.ScaleB(1 + sub / (double)(1 << SubBits), exp),
            hi = Math.ScaleB(1 + (sub + 1) / (double)(1 << SubBits), exp);
        return Math.Sqrt(lo * hi);
    }

    public double Quantile(double q)
    {
        if (_n == 0) return 0;
        long rank = (long)Math.Ceiling(q * _n);
        if (rank < 1) rank = 1;
        long seen = 0;
        for (int i = 0; i < Buckets; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return Math.Clamp(Value(i), _min, _max);
        }
        return _max;
    }

    public DistributionSummary Summarize() => _n == 0
        ? default
        : new DistributionSummary(_sum / _n, Quantile(0.5), Quantile(0.9), Quantile(0.99), _min, _max, _n);
}
