using ScottPlot;

namespace Platform.Cli.Charts;

/// <summary>One chip's estimate of the same training run.</summary>
public sealed record ChipRun(string Chip, double Days, double CostUsd, double EnergyMwh, double AcceleratorHours,
    bool Fits);

/// <summary>A projected cost at a point in time.</summary>
public sealed record CostPoint(double YearsFromNow, double CostUsd);

/// <summary>One named part of a whole (a step's time, an op's share).</summary>
public sealed record Part(string Name, double Value);

public static class TrainingCharts
{
    /// <summary>
    /// Time, cost and energy of one run per chip, each relative to the first chip (= 1), with the absolute figure
    /// over each bar. Chips where no plan fits are left out.
    /// </summary>
    public static Plot ChipComparison(IReadOnlyList<ChipRun> runs, string title)
    {
        var fit = runs.Where(r => r.Fits && r.Days > 0).ToList();
        var plt = new Plot();
        string[] groups = ["wall-clock days", "cost (USD)", "energy (MWh)"];
        if (fit.Count == 0) { plt.Title(title + " (no chip fits)"); return plt; }
        var b = fit[0];
        double width = 0.8 / fit.Count;
        for (int i = 0; i < fit.Count; i++)
        {
            var r = fit[i];
            double[] rel = [r.Days / b.Days, r.CostUsd / b.CostUsd, r.EnergyMwh / Math.Max(b.EnergyMwh, 1e-12)];
            string[] labels = [$"{r.Days:0.#} d", "$" + ChartFile.Compact(r.CostUsd),
                ChartFile.Compact(r.EnergyMwh) + " MWh"];
            var bars = Enumerable.Range(0, 3).Select(g => new Bar
            {
                Position = g - 0.4 + width * (i + 0.5),
                Value = rel[g],
                Size = width * 0.92,
                FillColor = ChartFile.Colour(i),
                Label = labels[g],
            }).ToArray();
            var bp = plt.Add.Bars(bars);
            bp.ValueLabelStyle.FontSize = 10;
            bp.LegendText = r.Chip;
        }
        ChartFile.Categories(plt, groups);
        plt.Axes.Margins(bottom: 0, top: 0.15);
        plt.YLabel($"relative to {b.Chip} (= 1)");
        plt.Title(title);
        plt.ShowLegend(Alignment.UpperLeft);
        return plt;
    }

    /// <summary>Cost of a fixed capability over the coming years (log scale).</summary>
    public static Plot CostTrend(IReadOnlyList<CostPoint> points, string title)
    {
        var plt = new Plot();
        double[] xs = [.. points.Select(p => p.YearsFromNow)];
        double[] ys = [.. points.Select(p => Math.Log10(Math.Max(p.CostUsd, 1e-9)))];
        var s = plt.Add.Scatter(xs, ys);
        s.LineWidth = 2;
        s.MarkerSize = 7;
        s.LegendText = "projected cost";
        foreach (var p in points)
            plt.Add.Text("$" + ChartFile.Compact(p.CostUsd), p.YearsFromNow, Math.Log10(Math.Max(p.CostUsd, 1e-9)))
                .LabelFontSize = 11;
        ChartFile.LogAxis(plt.Axes.Left, v => "$" + ChartFile.Compact(Math.Pow(10, v)));
        plt.XLabel("years from now");
        plt.YLabel("cost of the same capability (USD, log scale)");
        plt.Title(title);
        return plt;
    }

    /// <summary>Horizontal bars of parts, largest first (at most <paramref name="max"/>, the rest summed).</summary>
    public static Plot Breakdown(IReadOnlyList<Part> parts, string title, string unit, int max = 16, bool log = false)
    {
        var sorted = parts.Where(p => p.Value > 0).OrderByDescending(p => p.Value).ToList();
        if (sorted.Count > max)
            sorted = [.. sorted.Take(max - 1), new Part($"{sorted.Count - max + 1} others",
                sorted.Skip(max - 1).Sum(p => p.Value))];
        var plt = new Plot();
        double total = sorted.Sum(p => p.Value);
        var bars = sorted.Select((p, i) => new Bar
        {
            Position = sorted.Count - 1 - i,
            Value = log ? Math.Log10(p.Value) : p.Value,
            ValueBase = log ? Math.Floor(Math.Log10(sorted.Min(x => x.Value))) : 0,
            FillColor = ChartFile.Colour(0),
            Label = log ? ChartFile.Compact(p.Value) : $"{ChartFile.Compact(p.Value)} ({p.Value / total:P0})",
        }).ToArray();
        var bp = plt.Add.Bars(bars);
        bp.Horizontal = true;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < sorted.Count; i++) ticks.AddMajor(sorted.Count - 1 - i, sorted[i].Name);
        plt.Axes.Left.TickGenerator = ticks;
        plt.Axes.Left.MajorTickStyle.Length = 0;
        if (log) ChartFile.LogAxis(plt.Axes.Bottom);
        plt.Axes.Margins(left: 0, right: 0.2);
        plt.XLabel(unit);
        plt.Title(title);
        plt.HideGrid();
        return plt;
    }
}
