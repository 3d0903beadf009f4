using System.Globalization;
using System.Text;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Domain.Validation;

namespace Platform.Benchmarks;

/// <summary>The H100 section of `validate-kernels`: the catalog's h100-sxm with serving kernels against Vidur's
/// measured H100 medians (services/HardwareEmulator.Domain/Data/vidur-h100). Nothing was fitted on these rows.
/// </summary>
public static partial class KernelValidationBenchmark
{
    private static string H100Report()
    {
        const string device = "h100-sxm";
        var samples = KernelReference.Load(Path.Combine(AppContext.BaseDirectory, "Data", "vidur-h100"));
        var rows = KernelValidation.Compare(new TimingModel().For(new DeviceCatalog().Get(device),
            TimingProfile.Serving), samples);
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"## H100, held out: the catalog's `{device}` with serving kernels");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"""
            The emulator's `{device}` as inference simulations time it (`TimingProfile.Serving`: GEMMs at
            {TimingProfile.ServingGemmOverCatalog:F3} × the catalog's MAMF-calibrated rate; element-wise kernels
            as in the catalog) against the medians Vidur measured on H100 (DGX) with vLLM's kernels
            (services/HardwareEmulator.Domain/Data/vidur-h100, MIT, microsoft/vidur): Llama-2-7B,
            CodeLlama-34B, Llama-2-70B, InternLM-20B and Qwen-72B layers, TP 1, 2, 4, 8, 1–4,096 tokens.
            **Nothing was fitted on these rows**: the serving-GEMM ratio was fitted on the A100 rows above and
            carried to H100 by assumption (docs/EMULATOR.md §2.5, "Serving kernels"); the element-wise latency and
            per-row rate are A100 figures too; the H100 catalog figures come from MAMF and the data sheet.
            """);
        Table(sb, $"### All models ({rows.Count} measurements)", rows);
        sb.AppendLine();
        sb.AppendLine("### Per model");
        sb.AppendLine();
        sb.AppendLine("| model | op kind | n | median \\|err\\| | p90 \\|err\\| | signed median |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var model in rows.GroupBy(r => r.Sample.Source))
        {
            foreach (var kind in model.GroupBy(r => r.Sample.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var s = KernelValidation.Stats(kind.Key, kind.ToList());
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {model.Key} | {s.Group} | {s.Count} | {s.MedianAbs:P1} | {s.P90Abs:P1} | " +
                    $"{s.MedianSigned:+0.0%;-0.0%} |");
            }
        }
        sb.AppendLine();
        sb.AppendLine("### Largest H100 errors per op kind");
        sb.AppendLine();
        sb.AppendLine("| op kind | model | op | tokens | TP | measured µs | modelled µs | error |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|");
        foreach (var kind in rows.GroupBy(r => r.Sample.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            foreach (var r in kind.OrderByDescending(r => Math.Abs(r.Error)).Take(3))
            {
                var s = r.Sample;
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {kind.Key} | {s.Source} | {s.Op} | {s.Tokens} | {s.Tp} | {s.MeasuredSeconds * 1e6:F1} | " +
                    $"{r.ModelSeconds * 1e6:F1} | {r.Error:+0.0%;-0.0%} |");
            }
        }
        return sb.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static void Table(StringBuilder sb, string heading, IReadOnlyCollection<KernelComparison> part)
    {
        sb.AppendLine();
        sb.AppendLine(heading);
        sb.AppendLine();
        sb.AppendLine("| op kind, range | n | median \\|err\\| | p90 \\|err\\| | signed median |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var s in KernelValidation.Summarize(part))
        {
            string name = s.Group.Contains(", ", StringComparison.Ordinal) ? "  " + s.Group : $"**{s.Group}**";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {s.Count} | {s.MedianAbs:P1} | {s.P90Abs:P1} | {s.MedianSigned:+0.0%;-0.0%} |");
        }
    }
}
