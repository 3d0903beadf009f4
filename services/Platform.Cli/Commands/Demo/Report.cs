using System.Globalization;
using System.Text;
using ScottPlot;

namespace Platform.Cli.Commands.Demo;

/// <summary>A Markdown report with its charts in one folder.</summary>
public sealed class Report(string folder)
{
    private readonly StringBuilder _md = new();
    public string Folder { get; } = folder;
    public List<string> Charts { get; } = [];

    public void Heading(string text, int level = 2) => _md.Append('\n').Append('#', level).Append(' ').AppendLine(text)
        .AppendLine();
    public void Para(string text) => _md.AppendLine(text).AppendLine();
    public void Source(string text) => _md.AppendLine($"*Source: {text}*").AppendLine();
    public void Command(string text) => _md.AppendLine("```bash").AppendLine(text).AppendLine("```").AppendLine();

    public void Table(string[] headers, IEnumerable<string[]> rows)
    {
        _md.AppendLine("| " + string.Join(" | ", headers) + " |");
        _md.AppendLine("|" + string.Concat(headers.Select(h => h.StartsWith(' ') ? "---:|" : "---|")));
        foreach (var r in rows) _md.AppendLine("| " + string.Join(" | ", r.Select(c => c.Replace("|", "\\|"))) + " |");
        _md.AppendLine();
    }

    /// <summary>Saves the chart as SVG (and PNG beside it) and links the SVG.</summary>
    public void Chart(Plot plot, string name, string caption)
    {
        string svg = Path.Combine(Folder, name + ".svg"), png = Path.Combine(Folder, name + ".png");
        Platform.Cli.Charts.ChartFile.Save(plot, svg);
        Platform.Cli.Charts.ChartFile.Save(plot, png);
        Charts.Add(svg);
        Charts.Add(png);
        _md.AppendLine($"![{caption}]({name}.svg)").AppendLine().AppendLine($"*{caption}* ([PNG]({name}.png))")
            .AppendLine();
    }

    public string Write(string file = "report.md")
    {
        string path = Path.Combine(Folder, file);
        File.WriteAllText(path, _md.ToString());
        return path;
    }

    public static string F(double v, string format = "N0") => v.ToString(format, CultureInfo.InvariantCulture);
    public static string M(double usd) => "$" + (usd / 1e6).ToString("0.000", CultureInfo.InvariantCulture) + "M";
    public static string Pct(double signedFraction) =>
        (signedFraction >= 0 ? "+" : "") + (signedFraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";
}

/// <summary>
/// Published figures the demo sets beside the platform's estimates, with their sources (copied from the reference
/// table the platform's validation uses, tests/Platform.Benchmarks/Training/Data/training_runs.tsv).
/// </summary>
public static class Published
{
    public const string DeepSeekV3Report = "DeepSeek-V3 Technical Report (arXiv 2412.19437), Table 1 and sections " +
        "3.1-3.2";
    public const double PreTrainingHours = 2_664_000, ContextExtensionHours = 119_000, PostTrainingHours = 5_000;
    public const double TotalHours = 2_788_000, TotalCostUsd = 5_576_000, PreTrainingCostUsd = 5_328_000;
    public const double PricePerHour = 2.0, Gpus = 2048, Tokens = 14.8e12, SequenceLength = 4096;
    public const double GlobalBatchSequences = 15_360;
    public const double ReportedMfu = 0.3894;
    public const string MfuSource = "'Insights into DeepSeek-V3' (ISCA'25), Table 4: 385 TFLOPS per GPU of 989";
}
