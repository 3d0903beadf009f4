using Platform.Cli.Charts;
using ScottPlot;

namespace Platform.Cli.Tests.Charts;

public sealed class ChartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("platform-charts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Saves the plot as SVG and PNG; returns the SVG text.</summary>
    private string Save(Plot plot, string name)
    {
        string svg = Path.Combine(_dir, name + ".svg"), png = Path.Combine(_dir, name + ".png");
        ChartFile.Save(plot, svg);
        ChartFile.Save(plot, png);
        Assert.True(new FileInfo(svg).Length > 1024, $"{name}.svg is {new FileInfo(svg).Length} bytes");
        Assert.True(new FileInfo(png).Length > 1024, $"{name}.png is {new FileInfo(png).Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
        string text = File.ReadAllText(svg);
        Assert.Contains("<svg", text);
        return text;
    }

    [Fact]
    public void Chip_comparison_has_a_bar_group_per_figure_and_a_series_per_chip_that_fits()
    {
        var plot = TrainingCharts.ChipComparison(
        [
            new("h800", 56.7, 5.576e6, 3757, 2.79e6, true), new("b200", 26.4, 5.84e6, 2499, 1.3e6, true),
            new("ascend-910b", 0, 0, 0, 0, false),
        ], "chips");
        string svg = Save(plot, "chips");
        Assert.Equal(2, plot.GetPlottables().OfType<ScottPlot.Plottables.BarPlot>().Count());
        var bars = plot.GetPlottables().OfType<ScottPlot.Plottables.BarPlot>().ToList();
        Assert.All(bars, b => Assert.Equal(3, b.Bars.Count));
        Assert.Equal([1.0, 1.0, 1.0], bars[0].Bars.Select(b => b.Value));
        Assert.Equal(26.4 / 56.7, bars[1].Bars[0].Value, 1e-9);
        Assert.Contains("b200", svg);
        Assert.DoesNotContain("ascend-910b", svg);
    }

    [Fact]
    public void Cost_trend_plots_each_year_on_a_log_axis()
    {
        var plot = TrainingCharts.CostTrend([new(0, 5.576e6), new(1, 1.5e6), new(2, 4e5)], "trend");
        Save(plot, "trend");
        var s = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Single();
        Assert.Equal(3, s.Data.GetScatterPoints().Count);
        Assert.Equal(Math.Log10(4e5), s.Data.GetScatterPoints()[2].Y, 1e-9);
    }

    [Fact]
    public void Latency_goodput_timeline_and_capacity_charts_carry_their_series()
    {
        LoadPoint[] pts = [new(1, 100, 150, 200, 20, 30, 1, 1), new(4, 300, 900, 3000, 60, 95, 3.2, 0.8)];
        string lat = Save(ServingCharts.LatencyVsLoad(pts, "lat", 2000, 100), "latency");
        foreach (string s in new[] { "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "TTFT SLO 2000 ms" })
            Assert.Contains(s, lat);
        string good = Save(ServingCharts.GoodputVsRate([new("h20 TP8", pts), new("h800 TP8", pts)], "good"), "good");
        Assert.Contains("h20 TP8", good);
        Assert.Contains("offered load", good);
        string tl = Save(ServingCharts.Timeline([new(0, 0, 1, 0.1, 0.5), new(10, 5, 30, 0.9, 1)], "tl"), "timeline");
        Assert.Contains("KV cache use", tl);
        Assert.Contains("waiting", tl);
        var cap = ServingCharts.CapacityCost([new("h20 TP8 PP1", 24, 5.56, 16, true), new("h800 TP8 PP2", 32, 7.4, 16,
            true)], "cap");
        string capSvg = Save(cap, "capacity");
        Assert.Contains("h800 TP8 PP2", capSvg);
        Assert.Equal([5.56, 7.4], cap.GetPlottables().OfType<ScottPlot.Plottables.BarPlot>().Single().Bars
            .Select(b => b.Value));
    }

    [Fact]
    public void A_latency_cdf_is_the_share_of_requests_at_or_under_each_latency()
    {
        var (x, y) = ServingCharts.Cdf([300, 100, 200, 400]);
        Assert.Equal([2, Math.Log10(200), Math.Log10(300), Math.Log10(400)], x, new DoubleTolerance(1e-12));
        Assert.Equal([25.0, 50, 75, 100], y);

        // A long run is thinned to MaxCdfPoints, still from the fastest request to the slowest.
        var many = Enumerable.Range(1, 10_000).Select(i => (double)i).ToList();
        var (mx, my) = ServingCharts.Cdf(many);
        Assert.Equal(ServingCharts.MaxCdfPoints, mx.Length);
        Assert.Equal(0, mx[0], 1e-12);
        Assert.Equal(4, mx[^1], 1e-12);
        Assert.Equal(100, my[^1], 1e-12);
        Assert.Equal(my.Order(), my);
        Assert.Equal(0.01, my[0], 1e-12);

        var plot = ServingCharts.LatencyCdf([new("1 req/s", [50, 80, 120], [10, 12]),
            new("8 req/s", [400, 900, 3000], [30, 60])], "cdf", ttftSlo: 2000, tpotSlo: 50);
        string svg = Save(plot, "cdf");
        foreach (string s in new[] { "TTFT 1 req/s", "TPOT 1 req/s", "TTFT 8 req/s", "TPOT 8 req/s", "TPOT SLO 50 ms" })
            Assert.Contains(s, svg);
        var curves = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().ToList();
        Assert.Equal(4, curves.Count);
        Assert.Equal(Math.Log10(3000), curves[2].Data.GetScatterPoints().Max(p => p.X), 1e-9);
    }

    private sealed class DoubleTolerance(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double v) => 0;
    }

    [Fact]
    public void Roofline_places_kernels_under_the_ceilings()
    {
        var plot = DeviceCharts.Roofline([new("H800 BF16", 989, 3.35)],
            [new("decode GEMM", 60, 141), new("train GEMM", 1500, 789)], "roofline");
        string svg = Save(plot, "roofline");
        Assert.Contains("decode GEMM", svg);
        var line = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Single().Data.GetScatterPoints();
        Assert.Equal(Math.Log10(989), line.Max(p => p.Y), 1e-9);
        Assert.Equal(Math.Log10(0.1 * 3.35), line.Min(p => p.Y), 1e-9);
    }

    [Fact]
    public void Breakdown_keeps_the_largest_parts_and_sums_the_rest()
    {
        var parts = Enumerable.Range(1, 20).Select(i => new Part($"op{i}", i)).ToList();
        var plot = TrainingCharts.Breakdown(parts, "ops", "ms", max: 5);
        string svg = Save(plot, "ops");
        var bars = plot.GetPlottables().OfType<ScottPlot.Plottables.BarPlot>().Single().Bars;
        Assert.Equal(5, bars.Count);
        Assert.Equal(Enumerable.Range(1, 16).Sum(), bars.Min(b => b.Position) == 0
            ? bars.Single(b => b.Position == 0).Value : -1);
        Assert.Contains("16 others", svg);
    }

    [Theory]
    [InlineData("a.svg", true)]
    [InlineData("a.PNG", true)]
    [InlineData("a.pdf", false)]
    public void Chart_files_are_svg_or_png(string path, bool ok) => Assert.Equal(ok, ChartFile.IsSupported(path));
}
