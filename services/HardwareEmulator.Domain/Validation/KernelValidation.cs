using HardwareEmulator.Domain.Timing;

namespace HardwareEmulator.Domain.Validation;

/// <summary>A sample with the emulator's time and the relative error (modelled / measured − 1).</summary>
public sealed record KernelComparison(KernelSample Sample, double ModelSeconds)
{
    public double Error => ModelSeconds / Sample.MeasuredSeconds - 1;
}

/// <summary>Error distribution of one group of samples.</summary>
public sealed record ErrorStats(string Group, int Count, double MedianAbs, double P90Abs, double MedianSigned);

/// <summary>Compares the timing model with measured kernel times and summarizes the errors by op kind and
/// size range.</summary>
public static class KernelValidation
{
    public static IReadOnlyList<KernelComparison> Compare(DeviceTiming device, IEnumerable<KernelSample> samples) =>
        samples.Select(s => new KernelComparison(s, TimingModel.Estimate(device, s.Shape).DeviceSeconds)).ToList();

    /// <summary>Token range of a compute sample (decode, small batch, mid, prefill, long prefill) or size range of a
    /// collective's buffer.</summary>
    public static string Range(KernelSample s)
    {
        if (s.Tokens > 0)
        {
            return s.Tokens switch
            {
                <= 16 => "tokens 1-16",
                <= 128 => "tokens 17-128",
                <= 1024 => "tokens 129-1024",
                <= 4096 => "tokens 1025-4096",
                _ => "tokens 4097-32768",
            };
        }
        long bytes = ((CollectiveShape)s.Shape).Bytes;
        return bytes switch
        {
            <= 64 << 10 => "size <= 64 KiB",
            <= 1 << 20 => "size 64 KiB-1 MiB",
            <= 16 << 20 => "size 1-16 MiB",
            _ => "size > 16 MiB",
        };
    }

    /// <summary>The kind a sample is reported under: collectives split by link (NVLink inside a node, the network
    /// when ranks span nodes).</summary>
    public static string KindOf(KernelSample s) =>
        s.Shape is CollectiveShape c ? $"{s.Kind} ({(c.Ranks <= c.RanksPerNode ? "nvlink" : "network")})" : s.Kind;

    public static ErrorStats Stats(string group, IReadOnlyCollection<KernelComparison> rows)
    {
        var abs = rows.Select(r => Math.Abs(r.Error)).Order().ToArray();
        var signed = rows.Select(r => r.Error).Order().ToArray();
        return new ErrorStats(group, rows.Count, Quantile(abs, 0.5), Quantile(abs, 0.9), Quantile(signed, 0.5));
    }

    /// <summary>Per kind, then per kind and range.</summary>
    public static IReadOnlyList<ErrorStats> Summarize(IReadOnlyCollection<KernelComparison> rows)
    {
        var result = new List<ErrorStats>();
        foreach (var kind in rows.GroupBy(r => KindOf(r.Sample)).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            result.Add(Stats(kind.Key, kind.ToList()));
            foreach (var range in kind.GroupBy(r => Range(r.Sample)).OrderBy(g => RangeOrder(g.First().Sample)))
                result.Add(Stats($"{kind.Key}, {range.Key}", range.ToList()));
        }
        return result;
    }

    private static double RangeOrder(KernelSample s) =>
        s.Tokens > 0 ? s.Tokens : ((CollectiveShape)s.Shape).Bytes;

    /// <summary>Linear-interpolated quantile of sorted values.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(sorted.Count - 1, lo + 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
