using System.Globalization;
using System.Text;
using Platform.Modeling.Ops;
using TrainingCost.Domain;

namespace Platform.Benchmarks;

/// <summary>
/// Calibration check and report: evaluates the runs over a grid of the fitted constant (kernel efficiency),
/// reports the error of the shipped constants, the best global fit and the leave-one-out error (each run
/// predicted with the constant fitted on the others), and writes the training section of docs/VALIDATION.md.
/// </summary>
public static class TrainingValidationReport
{
    private static readonly double[] Grid = Enumerable.Range(0, 21).Select(i => 0.40 + 0.02 * i).ToArray();

    public static async Task<int> Run(string[] args)
    {
        string? write = null;
        for (int i = 0; i < args.Length; i++) if (args[i] == "--write" && i + 1 < args.Length) write = args[++i];
        // `--emulator grpc`: the same figures with the emulator role behind gRPC (what a split deployment gets).
        await using var emulators = await Emulators.StartAsync(args);
        Console.WriteLine($"emulator: {emulators.Mode}");
        if (args.Contains("--ops")) return await PrintOps(emulators.Client);
        var shipped = Calibration.Default;
        var rows = await TrainingValidation.EstimateAll(emulators.Client, shipped);

        // Hours of every run at every grid value of the kernel efficiency (FP8 speed-up and overlap penalty as
        // shipped).
        var byGrid = new List<List<ValidationRow>>();
        foreach (double k in Grid)
            byGrid.Add(await TrainingValidation.EstimateAll(emulators.Client, shipped with { KernelEfficiency = k }));
        var scored = Enumerable.Range(0, rows.Count).Where(i => rows[i].Scored).ToList();
        double Loss(int g, IEnumerable<int> idx) => TrainingValidation.Median(
            idx.Select(i => Math.Abs(Math.Log(byGrid[g][i].PredictedHours / rows[i].PublishedHours!.Value))));
        int BestGrid(IEnumerable<int> idx) => Enumerable.Range(0, Grid.Length).OrderBy(g => Loss(g, idx)).First();
        int best = BestGrid(scored);
        var loo = new Dictionary<int, double>();
        foreach (int i in scored)
        {
            int g = BestGrid(scored.Where(j => j != i));
            loo[i] = byGrid[g][i].PredictedHours / rows[i].PublishedHours!.Value - 1;
        }

        foreach (var (r, i) in rows.Select((r, i) => (r, i)))
            Console.WriteLine(
                $"{Short(r.Model),-28} pub {r.PublishedHours,12:N0} pred {r.PredictedHours,12:N0} err {r.Error,7:P1} "
                + $"loo {(loo.TryGetValue(i, out var l) ? l : null),7:P1} mfu {r.Mfu:P1} "
                + "(reported "
                + $"{(r.ReportedMfu > 0 ? r.ReportedMfu.ToString("P1", CultureInfo.InvariantCulture) : "-")}, "
                + $"published/step-hours {r.PublishedOverStepHours:F2}) eff {r.EffectiveUtilization:P1} {r.Plan} "
                + $"[{string.Join("; ", r.Flags)}]\n      {r.Detail}");
        var summary = Summary(rows, loo, shipped, Grid[best]);
        Console.WriteLine(summary);
        if (write is not null) WriteSection(write, Markdown(rows, loo, summary));
        return 0;
    }

    /// <summary>
    /// `--ops`: the forward ops of one layer of each run at its plan's shapes, with the emulator's times.
    /// </summary>
    private static async Task<int> PrintOps(Platform.Modeling.Devices.IEmulator emu)
    {
        foreach (var run in ValidationRuns.All.Where(r => r.Plan is not null))
        {
            var arch = Platform.Modeling.ModelPresets.Get(run.Preset).Architecture;
            var device = AcceleratorSpec.From(await emu.GetDeviceAsync(run.Accelerator, "device", default));
            var layout = new OpLayout(run.Plan!.TensorParallel, run.Plan.ExpertParallel,
                GemmFormat: run.Precision == TrainingPrecision.Fp8 ? DataType.Fp8E4M3 : DataType.Bf16);
            var ops = ModelOps.Decompose(arch, layout, PassShape.Training(run.Plan.MicroBatch, run.SequenceLength))
                .OpsOf(arch.IsMoe ? OpGroupKind.MoeLayer : OpGroupKind.DenseLayer);
            var times = await emu.TimeAsync(device.Id, ops, "device", default);
            Console.WriteLine($"## {run.ModelPrefix} on {device.Id} ({run.Plan})");
            for (int i = 0; i < ops.Count; i++)
            {
                var op = ops[i];
                double t = times[i].DeviceSeconds;
                double flops = op switch { GemmShape g => g.Flops, GroupedGemmShape g => g.Flops, _ => 0 };
                Console.WriteLine(
                    FormattableString.Invariant($"  {op.Name,-20} {t * 1e3,9:F3} ms  ")
                    + FormattableString.Invariant(
                        $"{(flops > 0 ? flops / t / 1e12 / device.Peak16Tflops : 0),6:P0} of 16-bit peak  ")
                    + FormattableString.Invariant($"{op.Describe()}"));
            }
        }
        return 0;
    }

    private static string Short(string s) => s.Length <= 28 ? s : s[..28];

    private static string Stats(IEnumerable<double> errs)
    {
        var a = errs.Select(Math.Abs).ToList();
        return a.Count == 0
            ? "n/a"
            : FormattableString.Invariant(
                $"median |error| {TrainingValidation.Median(a):P1}, max {a.Max():P1} (n = {a.Count})");
    }

    private static string Summary(List<ValidationRow> rows, Dictionary<int, double> loo, Calibration shipped,
        double fitted)
    {
        var sb = new StringBuilder();
        var firm = rows.Where(r => r.Firm).ToList();
        sb.AppendLine(FormattableString.Invariant(
            $"- All runs with published hours: {Stats(rows.Where(r => r.Scored).Select(r => r.Error!.Value))}."));
        sb.AppendLine(FormattableString.Invariant($"- Firm runs (hours stated, pre-training only, not estimates): ")
            + FormattableString.Invariant($"{Stats(firm.Select(r => r.Error!.Value))}."));
        sb.AppendLine(FormattableString.Invariant($"- Step MFU, modelled vs the source's (model-FLOPs basis): ")
            + FormattableString.Invariant(
                $"{Stats(rows.Where(r => r.MfuGap.HasValue).Select(r => r.MfuGap!.Value))}."));
        sb.AppendLine(FormattableString.Invariant(
            $"- Leave-one-out (kernel efficiency refitted without the run): {Stats(loo.Values)}."));
        sb.AppendLine(
            FormattableString.Invariant($"- Shipped constants: kernel efficiency {shipped.KernelEfficiency:F2}, ")
            + FormattableString.Invariant($"FP8 GEMM speed-up {shipped.Fp8GemmSpeedup:F2}, ")
            + FormattableString.Invariant($"overlap penalty {shipped.OverlapComputePenalty:F3}; ")
            + FormattableString.Invariant(
                $"best global kernel efficiency on this table (median |log error|): {fitted:F2}."));
        return sb.ToString();
    }

    private static string Markdown(List<ValidationRow> rows, Dictionary<int, double> loo, string summary)
    {
        var sb = new StringBuilder();
        sb.AppendLine("## Training runs");
        sb.AppendLine();
        sb.AppendLine("Generated by `make validate` "
            + "(`dotnet run -c Release --project tests/Platform.Benchmarks -- validate-training "
            + "--write docs/VALIDATION.md`).");
        sb.AppendLine("Every run of `training_runs.tsv` that states model, tokens, accelerator and count is estimated "
            + "with the published");
        sb.AppendLine("parallel layout where one is given (else the planner's best plan), "
            + "per-op times from the emulator's timing model");
        sb.AppendLine("and the failure/checkpoint model; see docs/TRAINING.md for the model and its calibration.");
        sb.AppendLine("\"Reported step MFU\" is the source's own throughput on the model-FLOPs basis "
            + "(hardware-FLOPs figures of");
        sb.AppendLine("recomputing runs × 6/8); it is never an input. "
            + "\"Published ÷ hours at reported MFU\" divides the published hours by");
        sb.AppendLine("the hours the run's model FLOPs take at that MFU: "
            + "≈ 1 where the published figure was derived from throughput,");
        sb.AppendLine("above 1 by the non-step time (failures, restarts, evaluation, idle, rollbacks) "
            + "the figure includes.");
        sb.AppendLine();
        sb.Append(summary);
        sb.AppendLine();
        sb.AppendLine("| Run | Accelerators | Tokens | Published acc-h | Predicted acc-h | Error | Leave-one-out "
            + "| Step MFU | Reported step MFU | Published ÷ hours at reported MFU | End-to-end util | Plan | Flags |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            string pub = r.PublishedHours is { } p ? p.ToString("N0", CultureInfo.InvariantCulture) : "—";
            string err = r.Error is { } e ? e.ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture) : "—";
            string rep = r.ReportedMfu > 0 ? r.ReportedMfu.ToString("P1", CultureInfo.InvariantCulture) : "—";
            string over = r.PublishedOverStepHours is { } o ? o.ToString("F2", CultureInfo.InvariantCulture) : "—";
            string l = loo.TryGetValue(i, out var x) ? x.ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture) : "—";
            sb.AppendLine(
                FormattableString.Invariant(
                    $"| {r.Model} | {r.Count:N0} × {r.Accelerator} | {r.Tokens:0.###e0} | {pub} ")
                + FormattableString.Invariant($"| {r.PredictedHours:N0} ")
                + FormattableString.Invariant(
                    $"| {err} | {l} | {r.Mfu:P1} | {rep} | {over} | {r.EffectiveUtilization:P1} | {r.Plan} ")
                + FormattableString.Invariant($"| {string.Join("; ", r.Flags)} |"));
        }
        sb.AppendLine();
        sb.AppendLine("Skipped rows (the TSV does not state everything needed):");
        sb.AppendLine();
        foreach (var (row, _, skip) in TrainingValidation.Rows().Where(x => x.Skip is not null))
            sb.AppendLine($"- {row["model"]}: {skip}.");
        return sb.ToString();
    }

    private static void WriteSection(string path, string body)
    {
        const string begin = "<!-- training:begin -->", end = "<!-- training:end -->";
        string text = File.ReadAllText(path);
        int a = text.IndexOf(begin, StringComparison.Ordinal), b = text.IndexOf(end, StringComparison.Ordinal);
        if (a < 0 || b < a) throw new InvalidOperationException($"{path} lacks the training markers");
        File.WriteAllText(path, text[..(a + begin.Length)] + "\n" + body + text[b..]);
        Console.WriteLine($"wrote training section of {path}");
    }
}
