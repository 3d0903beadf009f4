using ScottPlot;

namespace Platform.Cli.Charts;

/// <summary>Serving figures at one offered load.</summary>
public sealed record LoadPoint(double Rate, double TtftP50, double TtftP90, double TtftP99, double TpotP50,
    double TpotP99, double Goodput, double Attainment);

/// <summary>A named series of load points (one deployment).</summary>
public sealed record LoadSeries(string Name, IReadOnlyList<LoadPoint> Points);

/// <summary>One bucket of a serving timeline.</summary>
public sealed record TimelineSample(double Seconds, double Waiting, double Running, double KvUse,
    double AcceleratorUse);

/// <summary>One deployment option of a capacity plan.</summary>
public sealed record CapacityBar(string Layout, double CostPerHourUsd, double CostPerMillionTokensUsd,
    int Accelerators, bool MeetsSlo);

/// <summary>Every request's TTFT and TPOT (ms) of one simulated run.</summary>
public sealed record LatencySamples(string Name, IReadOnlyList<double> TtftMs, IReadOnlyList<double> TpotMs);

public static class ServingCharts
{
    /// <summary>Most points drawn per CDF curve (longer runs are thinned evenly over the quantiles).</summary>
    public const int MaxCdfPoints = 2_000;

    /// <summary>
    /// Empirical CDFs of TTFT (solid) and TPOT (dashed) per run on a log latency axis, one colour per run (e.g. per
    /// offered load), with the SLOs as vertical lines: the share of requests at or under each latency.
    /// </summary>
    public static Plot LatencyCdf(IReadOnlyList<LatencySamples> runs, string title, double ttftSlo = 0,
        double tpotSlo = 0)
    {
        var plt = new Plot();
        for (int i = 0; i < runs.Count; i++)
        {
            Curve(plt, runs[i].TtftMs, $"TTFT {runs[i].Name}", i, dashed: false);
            Curve(plt, runs[i].TpotMs, $"TPOT {runs[i].Name}", i, dashed: true);
        }
        void SloLine(double ms, string label, int colour)
        {
            var v = plt.Add.VerticalLine(Math.Log10(ms));
            v.Color = ChartFile.Colour(colour).WithAlpha(0.5);
            v.LineWidth = 1.5f;
            v.LinePattern = LinePattern.Dotted;
            v.LegendText = $"{label} {ms:0} ms";
        }
        if (ttftSlo > 0) SloLine(ttftSlo, "TTFT SLO", 7);
        if (tpotSlo > 0) SloLine(tpotSlo, "TPOT SLO", 5);
        ChartFile.LogAxis(plt.Axes.Bottom, v => ChartFile.Compact(Math.Pow(10, v)) + " ms");
        plt.Axes.SetLimitsY(0, 101);
        plt.XLabel("latency (ms, log scale); solid: TTFT, dashed: TPOT");
        plt.YLabel("requests at or under the latency (%)");
        plt.Title(title);
        plt.ShowLegend(Alignment.LowerRight);
        return plt;
    }

    /// <summary>The points (log10 latency, cumulative %) of one empirical CDF, at most <see cref="MaxCdfPoints"/>.
    /// </summary>
    public static (double[] X, double[] Y) Cdf(IReadOnlyList<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        int n = sorted.Length, m = Math.Min(n, MaxCdfPoints);
        var x = new double[m];
        var y = new double[m];
        for (int k = 0; k < m; k++)
        {
            int i = m == n ? k : (int)Math.Round((double)k * (n - 1) / Math.Max(1, m - 1));
            x[k] = Math.Log10(Math.Max(sorted[i], 1e-3));
            y[k] = 100.0 * (i + 1) / n;
        }
        return (x, y);
    }

    private static void Curve(Plot plt, IReadOnlyList<double> values, string name, int colour, bool dashed)
    {
        var (x, y) = Cdf(values);
        if (x.Length == 0) return;
        var s = plt.Add.Scatter(x, y);
        s.ConnectStyle = ConnectStyle.StepHorizontal;
        s.LegendText = name;
        s.Color = ChartFile.Colour(colour);
        s.LineWidth = 2;
        s.MarkerSize = 0;
        if (dashed) s.LinePattern = LinePattern.Dashed;
    }

    /// <summary>TTFT and TPOT percentiles against the offered rate, with the SLOs as dashed lines.</summary>
    public static Plot LatencyVsLoad(IReadOnlyList<LoadPoint> points, string title, double ttftSlo = 0,
        double tpotSlo = 0)
    {
        var plt = new Plot();
        double[] xs = [.. points.Select(p => p.Rate)];
        void Line(Func<LoadPoint, double> f, string name, int colour, bool dashed)
        {
            var s = plt.Add.Scatter(xs, [.. points.Select(p => Math.Log10(Math.Max(f(p), 1e-3)))]);
            s.LegendText = name;
            s.Color = ChartFile.Colour(colour);
            s.LineWidth = 2;
            s.MarkerSize = 6;
            if (dashed) { s.LineWidth = 1; s.MarkerShape = MarkerShape.OpenCircle; }
        }
        Line(p => p.TtftP50, "TTFT p50", 0, false);
        Line(p => p.TtftP99, "TTFT p99", 0, true);
        Line(p => p.TpotP50, "TPOT p50", 1, false);
        Line(p => p.TpotP99, "TPOT p99", 1, true);
        if (ttftSlo > 0) Slo(plt, ttftSlo, "TTFT SLO", 0);
        if (tpotSlo > 0) Slo(plt, tpotSlo, "TPOT SLO", 1);
        ChartFile.LogAxis(plt.Axes.Left, v => ChartFile.Compact(Math.Pow(10, v)) + " ms");
        plt.XLabel("offered load (requests/s)");
        plt.YLabel("latency (ms, log scale)");
        plt.Title(title);
        plt.ShowLegend(Alignment.UpperLeft);
        return plt;
    }

    private static void Slo(Plot plt, double ms, string label, int colour)
    {
        var h = plt.Add.HorizontalLine(Math.Log10(ms));
        h.Color = ChartFile.Colour(colour).WithAlpha(0.6);
        h.LineWidth = 1.5f;
        h.LegendText = $"{label} {ms:0} ms";
    }

    /// <summary>Goodput (requests/s meeting every SLO) of each deployment against the offered rate.</summary>
    public static Plot GoodputVsRate(IReadOnlyList<LoadSeries> series, string title)
    {
        var plt = new Plot();
        double[] all = [.. series.SelectMany(x => x.Points).Select(p => p.Rate).Distinct().Order()];
        var offered = plt.Add.Scatter(all, all);
        offered.LegendText = "offered load";
        offered.Color = Colors.Gray;
        offered.MarkerSize = 0;
        for (int i = 0; i < series.Count; i++)
        {
            var pts = series[i].Points;
            double[] px = [.. pts.Select(p => p.Rate)], py = [.. pts.Select(p => p.Goodput)];
            var g = plt.Add.Scatter(px, py);
            g.LegendText = series[i].Name;
            g.LineWidth = 2;
            g.MarkerSize = 7;
            g.Color = ChartFile.Colour(i);
        }
        plt.XLabel("offered load (requests/s)");
        plt.YLabel("goodput: requests/s meeting every SLO");
        plt.Title(title);
        plt.ShowLegend(Alignment.UpperLeft);
        return plt;
    }

    /// <summary>Requests waiting and running (left axis) and KV-cache use (right axis, %) over the run.</summary>
    public static Plot Timeline(IReadOnlyList<TimelineSample> samples, string title)
    {
        var plt = new Plot();
        double[] t = [.. samples.Select(s => s.Seconds)];
        var w = plt.Add.Scatter(t, [.. samples.Select(s => s.Waiting)]);
        w.LegendText = "waiting (queue)";
        w.Color = ChartFile.Colour(3);
        w.MarkerSize = 0;
        w.LineWidth = 2;
        var r = plt.Add.Scatter(t, [.. samples.Select(s => s.Running)]);
        r.LegendText = "running";
        r.Color = ChartFile.Colour(0);
        r.MarkerSize = 0;
        r.LineWidth = 2;
        var kv = plt.Add.Scatter(t, [.. samples.Select(s => s.KvUse * 100)]);
        kv.LegendText = "KV cache use (%, right axis)";
        kv.Color = ChartFile.Colour(2);
        kv.MarkerSize = 0;
        kv.LineWidth = 3;
        kv.Axes.YAxis = plt.Axes.Right;
        plt.Axes.Right.Label.Text = "KV cache use (%)";
        plt.Axes.SetLimitsY(0, Math.Max(1, samples.Max(s => Math.Max(s.Waiting, s.Running))) * 1.1, plt.Axes.Left);
        plt.Axes.SetLimitsY(0, 105, plt.Axes.Right);
        plt.XLabel("simulated time (s)");
        plt.YLabel("requests (mean per bucket)");
        plt.Title(title);
        plt.ShowLegend(Alignment.UpperLeft);
        return plt;
    }

    /// <summary>Cost per million output tokens of each capacity option (cheapest first), SLO misses in grey.</summary>
    public static Plot CapacityCost(IReadOnlyList<CapacityBar> options, string title, int max = 14)
    {
        var list = options.Take(max).ToList();
        var plt = new Plot();
        var bars = list.Select((o, i) => new Bar
        {
            Position = i,
            Value = o.CostPerMillionTokensUsd,
            FillColor = o.MeetsSlo ? ChartFile.Colour(i % 8) : Colors.LightGray,
            Label = $"${o.CostPerMillionTokensUsd:0.00} ({o.Accelerators})",
        }).ToArray();
        plt.Add.Bars(bars);
        ChartFile.Categories(plt, [.. list.Select(o => o.Layout)], rotate: list.Count > 4);
        plt.Axes.Margins(bottom: 0, top: 0.15);
        plt.YLabel("USD per million output tokens (labels: accelerators)");
        plt.Title(title);
        return plt;
    }
}
