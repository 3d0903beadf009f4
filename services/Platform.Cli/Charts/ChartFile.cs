using ScottPlot;

namespace Platform.Cli.Charts;

/// <summary>Writes a plot as SVG or PNG by the file's extension.</summary>
public static class ChartFile
{
    public const int Width = 960, Height = 560;

    public static bool IsSupported(string path) =>
        path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase) ||
        path.EndsWith(".png", StringComparison.OrdinalIgnoreCase);

    public static void Save(Plot plot, string path, int width = Width, int height = Height)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        if (path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) plot.SavePng(path, width, height);
        else plot.SaveSvg(path, width, height);
    }

    /// <summary>The palette every chart uses, by series index.</summary>
    public static Color Colour(int i) => Palette[i % Palette.Length];

    private static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"),
        Color.FromHex("#9467bd"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f"),
    ];

    /// <summary>Category labels under bar positions 0..n-1.</summary>
    public static void Categories(Plot plot, IReadOnlyList<string> labels, bool rotate = false)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < labels.Count; i++) ticks.AddMajor(i, labels[i]);
        plot.Axes.Bottom.TickGenerator = ticks;
        if (rotate)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = 30;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        }
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.HideGrid();
    }

    /// <summary>A base-10 logarithmic axis for data already passed through log10.</summary>
    public static void LogAxis(IAxis axis, Func<double, string>? format = null)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = format ?? (v => Compact(Math.Pow(10, v))),
        };
    }

    /// <summary>1.2k, 3.4M, 5.6B style numbers.</summary>
    public static string Compact(double v)
    {
        double a = Math.Abs(v);
        return a >= 1e12 ? $"{v / 1e12:0.##}T" : a >= 1e9 ? $"{v / 1e9:0.##}B" : a >= 1e6 ? $"{v / 1e6:0.##}M"
            : a >= 1e3 ? $"{v / 1e3:0.##}k" : a >= 1 || a == 0 ? $"{v:0.##}" : $"{v:0.###}";
    }
}
