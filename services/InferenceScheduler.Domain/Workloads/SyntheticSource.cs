using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Workloads;

public enum ArrivalProcess { Poisson, Gamma, Constant }

/// <summary>A token-length distribution; samples are whole tokens in [1, Max] (Max 0 = unbounded).</summary>
public abstract record LengthSpec(long Max)
{
    public abstract double Sample(Random rng);
    /// <summary>Largest possible sample, or 0 when unbounded.</summary>
    public virtual long UpperBound => Max;

    public int Draw(Random rng)
    {
        double v = Math.Round(Sample(rng));
        if (Max > 0) v = Math.Min(v, Max);
        return (int)Math.Clamp(v, 1, int.MaxValue / 4);
    }
}
public sealed record FixedLength(long Value, long Max = 0) : LengthSpec(Max)
{
    public override double Sample(Random rng) => Value;
    public override long UpperBound => Max > 0 ? Math.Min(Max, Value) : Value;
}
public sealed record UniformLengthSpec(long Min, long MaxValue, long Max = 0) : LengthSpec(Max)
{
    public override double Sample(Random rng) => Min + rng.NextInt64(MaxValue - Min + 1);
    public override long UpperBound => Max > 0 ? Math.Min(Max, MaxValue) : MaxValue;
}
/// <summary>Lognormal with mean <see cref="Mean"/>: mu = ln(mean) - sigma^2 / 2.</summary>
public sealed record LognormalLengthSpec(double Mean, double Sigma, long Max = 0) : LengthSpec(Max)
{
    public override double Sample(Random rng) =>
        Math.Exp(Math.Log(Mean) - Sigma * Sigma / 2 + Sigma * Distributions.StandardNormal(rng));
}
/// <summary>Exponential with the given mean, rounded up to whole tokens (a geometric length).</summary>
public sealed record ExponentialLengthSpec(double Mean, long Max = 0) : LengthSpec(Max)
{
    public override double Sample(Random rng) => Math.Ceiling(-Mean * Math.Log(1 - rng.NextDouble()));
}
/// <summary>Resamples the lengths of a trace column.</summary>
public sealed record EmpiricalLengthSpec(int[] Values, long Max = 0) : LengthSpec(Max)
{
    public override double Sample(Random rng) => Values[rng.Next(Values.Length)];
    public override long UpperBound => Max > 0 ? Math.Min(Max, Values.Max()) : Values.Max();
}

public static class Distributions
{
    public static double StandardNormal(Random rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Gamma(shape, scale) by Marsaglia–Tsang (shape below 1 boosted by U^(1/shape)).</summary>
    public static double Gamma(Random rng, double shape, double scale)
    {
        if (shape < 1) return Gamma(rng, shape + 1, scale) * Math.Pow(1 - rng.NextDouble(), 1 / shape);
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do { x = StandardNormal(rng); v = 1 + c * x; } while (v <= 0);
            v = v * v * v;
            double u = 1 - rng.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v)))
                return d * v * scale;
        }
    }
}

/// <summary>Settings of a generated workload.</summary>
public sealed record SyntheticSpec(
    ArrivalProcess Arrival, double RatePerSecond, long Requests, double DurationSeconds, ulong Seed,
    LengthSpec Prompt, LengthSpec Output, double Burstiness = 1, int PrefixGroups = 0, double SharedPrefixFraction = 0);

/// <summary>
/// Generates requests lazily: inter-arrival times exponential (Poisson), Gamma with shape = burstiness and the same
/// mean (vLLM benchmark_serving's burstiness), or constant; stops after <c>Requests</c> or past <c>DurationSeconds</c>.
/// With prefix sharing, the first <c>SharedPrefixFraction</c> of a prompt (whole 512-token blocks) is one of
/// <c>PrefixGroups</c> shared prefixes, so the prefix cache can hit.
/// </summary>
public sealed class SyntheticSource : WorkloadSource
{
    private readonly SyntheticSpec _s;
    private readonly string _field;
    private readonly Random _rng;
    private long _emitted;
    private double _clock;

    public SyntheticSource(SyntheticSpec spec, string field = "workload.synthetic")
    {
        if (!(spec.RatePerSecond > 0) || double.IsInfinity(spec.RatePerSecond))
            throw new InvalidFieldException($"{field}.rate_per_second", "must be positive");
        if (spec.Requests < 0) throw new InvalidFieldException($"{field}.requests", "must be positive");
        if (spec.Requests > MaxRequestsPerRun)
            throw new LimitExceededException($"{field}.requests",
                $"{spec.Requests} requests; one run takes at most {MaxRequestsPerRun}", spec.Requests,
                MaxRequestsPerRun);
        if (spec.DurationSeconds < 0 || double.IsNaN(spec.DurationSeconds))
            throw new InvalidFieldException($"{field}.duration_seconds", "must be positive");
        if (spec.Requests == 0 && spec.DurationSeconds == 0)
            throw new InvalidFieldException($"{field}.requests", "give requests or duration_seconds (positive)");
        // A duration is counted exactly by generating it (TryNext stops at the limit); one expecting twice the limit
        // cannot come in under it (the count's spread is ~sqrt(mean / burstiness)), so it is refused without generating
        // anything.
        if (spec.Requests == 0 && spec.DurationSeconds * spec.RatePerSecond > 2.0 * MaxRequestsPerRun)
            throw new LimitExceededException($"{field}.duration_seconds",
                $"{spec.DurationSeconds} s at {spec.RatePerSecond} requests/s expects about " +
                $"{spec.DurationSeconds * spec.RatePerSecond:0} requests; one run takes at most {MaxRequestsPerRun}",
                spec.DurationSeconds * spec.RatePerSecond, MaxRequestsPerRun);
        if (spec.Arrival == ArrivalProcess.Gamma && !(spec.Burstiness > 0))
            throw new InvalidFieldException($"{field}.burstiness", "must be positive");
        if (spec.PrefixGroups < 0)
            throw new InvalidFieldException($"{field}.prefix_sharing.groups", "must not be negative");
        if (spec.SharedPrefixFraction is < 0 or > 1 || double.IsNaN(spec.SharedPrefixFraction))
            throw new InvalidFieldException($"{field}.prefix_sharing.shared_fraction", "must be within [0, 1]");
        _s = spec;
        _field = field;
        _rng = new Random(unchecked((int)(spec.Seed ^ (spec.Seed >> 32))));
        long pMax = spec.Prompt.UpperBound, oMax = spec.Output.UpperBound;
        MaxRequestTokens = pMax > 0 && oMax > 0 ? pMax + oMax : 0;
    }

    public override long ExpectedRequests =>
        _s.Requests > 0 ? _s.Requests : (long)(_s.DurationSeconds * _s.RatePerSecond);
    public override double ExpectedSpanSeconds => _s.Requests > 0 ? _s.Requests / _s.RatePerSecond : _s.DurationSeconds;
    public override long MaxRequestTokens { get; }
    public override string RequestsField => _field;
    public override bool CountKnown => _s.Requests > 0;
    /// <summary>The same seed gives the same requests: a replay is a new generator from the spec.</summary>
    public override WorkloadSource Replay() => new SyntheticSource(_s, _field);
    public override string Locate(long index, in TraceRequest request) => $"request {index}";

    public override bool TryNext(out TraceRequest request)
    {
        request = default;
        if (_s.Requests > 0 && _emitted >= _s.Requests) return false;
        double mean = 1 / _s.RatePerSecond;
        double gap = _s.Arrival switch
        {
            ArrivalProcess.Constant => mean,
            ArrivalProcess.Gamma => Distributions.Gamma(_rng, _s.Burstiness, mean / _s.Burstiness),
            _ => -mean * Math.Log(1 - _rng.NextDouble()),
        };
        double t = _emitted == 0 ? 0 : _clock + gap; // first request at 0, like the rebased traces
        if (_s.DurationSeconds > 0 && t > _s.DurationSeconds) return false;
        // Only a duration-bounded workload can get here (a request count is capped in the constructor); the simulator's
        // validation scan meets this before the run starts.
        if (_emitted >= MaxRequestsPerRun)
            throw new LimitExceededException($"{_field}.duration_seconds",
                $"{_s.DurationSeconds} s at {_s.RatePerSecond} requests/s generates more than {MaxRequestsPerRun} " +
                $"requests, the most one run takes",
                _s.DurationSeconds * _s.RatePerSecond, MaxRequestsPerRun);
        _clock = t;
        int prompt = _s.Prompt.Draw(_rng), output = _s.Output.Draw(_rng);
        int[]? hashes = null;
        if (_s.PrefixGroups > 0 && _s.SharedPrefixFraction > 0)
        {
            int blocks = (int)(prompt * _s.SharedPrefixFraction) / HashBlockTokens;
            if (blocks > 0)
            {
                int group = _rng.Next(_s.PrefixGroups);
                hashes = new int[blocks];
                // Block j of group g: a distinct id per (g, j) — equal ids mean the same prefix, as in Mooncake's
                // hash_ids.
                for (int j = 0; j < blocks; j++) hashes[j] = group * 65536 + j + 1;
            }
        }
        _emitted++;
        request = new TraceRequest(t, prompt, output, hashes);
        return true;
    }
}
