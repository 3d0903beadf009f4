namespace InferenceScheduler.Domain.Metrics;

/// <summary>One bucket of the timeline: time-averaged over the bucket and the instances.</summary>
public readonly record struct TimelineSample(double StartSeconds, double KvCacheUtilization,
    double AcceleratorUtilization, double Running, double Waiting);

/// <summary>
/// Time-weighted averages over fixed-width buckets, bounded to <see cref="MaxBuckets"/>: when time runs past the
/// last bucket the width doubles and neighbours merge, so memory stays fixed however long the run.
/// </summary>
public sealed class Timeline
{
    public const int MaxBuckets = 512;
    private readonly double[] _busy = new double[MaxBuckets], _kv = new double[MaxBuckets],
        _run = new double[MaxBuckets], _wait = new double[MaxBuckets];
    private double _width;
    private readonly int _instances;
    private double _end;

    public Timeline(double width, int instances)
    {
        _width = width > 0 ? width : 1;
        _instances = Math.Max(1, instances);
    }

    /// <summary>Records an instance busy over [start, end) with the given state.</summary>
    public void AddBusy(double start, double end, double kvUtil, int running, int waiting)
    {
        if (end <= start) return;
        if (end > _end) _end = end;
        while (end > _width * MaxBuckets) Coarsen();
        int b = (int)(start / _width);
        while (start < end)
        {
            double bEnd = (b + 1) * _width;
            double seg = Math.Min(end, bEnd) - start;
            _busy[b] += seg; _kv[b] += seg * kvUtil; _run[b] += seg * running; _wait[b] += seg * waiting;
            start += seg;
            b++;
            if (b >= MaxBuckets) break;
        }
    }

    private void Coarsen()
    {
        for (int i = 0; i < MaxBuckets / 2; i++)
        {
            _busy[i] = _busy[2 * i] + _busy[2 * i + 1]; _kv[i] = _kv[2 * i] + _kv[2 * i + 1];
            _run[i] = _run[2 * i] + _run[2 * i + 1]; _wait[i] = _wait[2 * i] + _wait[2 * i + 1];
        }
        Array.Clear(_busy, MaxBuckets / 2, MaxBuckets / 2); Array.Clear(_kv, MaxBuckets / 2, MaxBuckets / 2);
        Array.Clear(_run, MaxBuckets / 2, MaxBuckets / 2); Array.Clear(_wait, MaxBuckets / 2, MaxBuckets / 2);
        _width *= 2;
    }

    public IReadOnlyList<TimelineSample> Samples(double endSeconds)
    {
        int n = Math.Min(MaxBuckets, (int)Math.Ceiling(Math.Max(endSeconds, _end) / _width));
        var list = new List<TimelineSample>(n);
        for (int i = 0; i < n; i++)
        {
            double w = _width * _instances;
            list.Add(new TimelineSample(i * _width, _kv[i] / w, _busy[i] / w, _run[i] / w, _wait[i] / w));
        }
        return list;
    }
}
