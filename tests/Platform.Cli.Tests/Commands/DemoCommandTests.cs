using Platform.Cli.Infrastructure;

namespace Platform.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class DemoCommandTests(CliHost host) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("platform-demo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_demo_writes_a_report_with_the_published_figures_and_its_charts()
    {
        var r = await host.Run("demo", "--out", _dir, "--quick");
        Assert.True(r.ExitCode == ExitCodes.Ok, r.Error);
        string md = File.ReadAllText(Path.Combine(_dir, "report.md"));
        Assert.Contains("2,664,000", md);
        Assert.Contains("2,788,000", md);
        Assert.Contains("$5.576M", md);
        Assert.Contains("arXiv 2412.19437", md);
        foreach (string chip in new[] { "h100-sxm", "h20", "b200", "ascend-910b", "mi300x" }) Assert.Contains(chip, md);
        var charts = Directory.GetFiles(_dir, "*.svg").Where(f => new FileInfo(f).Length > 1024).ToList();
        Assert.True(charts.Count >= 5, $"{charts.Count} charts");
        foreach (string svg in charts)
        {
            Assert.Contains($"]({Path.GetFileName(svg)})", md);
            Assert.True(File.Exists(Path.ChangeExtension(svg, ".png")));
        }
        Assert.Contains("](latency-cdf.svg)", md);
        Assert.Contains("--cdf-chart latency-cdf.svg", md);
        Assert.Matches(@"\| FP8 E4M3 \| [0-9.]+e-0?4 \|", md);
    }
}
