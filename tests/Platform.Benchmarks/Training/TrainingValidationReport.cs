using System.Globalization;
using System.Text;
using Platform.Modeling.Ops;
using TrainingCost.Domain;

namespace Platform.Benchmarks;

/// <summary>
/// Calibration check and report: evaluates the runs and the measured steps (<see cref="StepReferences"/>) over a
/// grid of the fitted constant (kernel efficiency), reports the error of the shipped constants, the fits on
/// measured steps and on published hours, and the leave-one-out errors of both (<see cref="CalibrationFit"/>),
/// and writes the training section of docs/VALIDATION.md.
/// </summary>
public static class TrainingValidationReport
{
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
        var steps = await StepReferences.EvaluateAll(emulators.Client, shipped);
        var grid = await CalibrationFit.EvaluateStepGrid(emulators.Client, shipped);
        double stepFitted = CalibrationFit.BestKernelEfficiency(grid);
        // The leave-one-out runs at the step-fitted kernel efficiency (the shipped one when they agree).
        var fitRows = Math.Abs(stepFitted - shipped.KernelEfficiency) < 0.005
            ? rows
            : await TrainingValidation.EstimateAll(emulators.Client, shipped with { KernelEfficiency = stepFitted });
        var fits = new Fits(stepFitted, CalibrationFit.FitOverhead(rows), CalibrationFit.LeaveOneOutOf(fitRows));

        foreach (var c in steps)
            Console.WriteLine(FormattableString.Invariant(
                $"{c.Reference.Name,-22} measured {c.Reference.Measured,8:F2} modelled {c.Modelled,8:F2} ")
                + FormattableString.Invariant($"({(c.Reference.Tflops ? "TFLOP/s per GPU" : "s")}) {c.Error,7:P1} ")
                + Where(c.Step));
        foreach (var (r, i) in rows.Select((r, i) => (r, i)))
            Console.WriteLine(
                $"{Short(r.Model),-28} pub {r.PublishedHours,12:N0} pred {r.PredictedHours,12:N0} err {r.Error,7:P1} "
                + $"loo {Loo(fits.Loo, i),7:P1} mfu {r.Mfu:P1} "
                + "(reported "
                + $"{(r.ReportedMfu > 0 ? r.ReportedMfu.ToString("P1", CultureInfo.InvariantCulture) : "-")}, "
                + $"published/step-hours {r.PublishedOverStepHours:F2}) eff {r.EffectiveUtilization:P1} {r.Plan} "
                + $"[{string.Join("; ", r.Flags)}]\n      {r.Detail}");
        var summary = Summary(rows, steps, fits, shipped);
        Console.WriteLine(summary);
        if (write is not null) WriteSection(write, Markdown(rows, steps, fits, summary));
        return 0;
    }

    /// <summary>The kernel efficiency fitted on measured steps, the production overhead fitted on all runs' hours at
    /// the shipped kernel efficiency, and the leave-one-out results.</summary>
    private sealed record Fits(double StepFitted, double OverheadFitted, List<LeaveOneOut> Loo);

    private static double? Loo(List<LeaveOneOut> loo, int row) =>
        loo.FirstOrDefault(l => l.Row == row)?.HoursError;

    /// <summary>Shares of the modelled step: compute, TP, exposed DP, bubble, PP, optimizer.</summary>
    private static string Where(StepBreakdown s)
    {
        double t = s.StepSeconds;
        string F(FormattableString f) => FormattableString.Invariant(f);
        return F($"compute {s.ComputeSeconds / t:P0}, TP {s.TensorParallelSeconds / t:P0}, ")
            + F($"bubble {s.BubbleSeconds / t:P0}, DP {s.DataParallelExposedSeconds / t:P0}, ")
            + F($"PP {s.PipelineP2pSeconds / t:P0}, optimizer {s.OptimizerSeconds / t:P0}");
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
        var e = errs.ToList();
        var a = e.Select(Math.Abs).ToList();
        return a.Count == 0
            ? "n/a"
            : FormattableString.Invariant($"median |error| {TrainingValidation.Median(a):P1}, ")
              + FormattableString.Invariant($"signed median {TrainingValidation.Median(e):+0.0%;-0.0%}, ")
              + FormattableString.Invariant($"max |error| {a.Max():P1} (n = {a.Count})");
    }

    private static string Summary(List<ValidationRow> rows, List<StepComparison> steps, Fits fits,
        Calibration shipped)
    {
        var sb = new StringBuilder();
        var firm = rows.Where(r => r.Firm).ToList();
        string Line(string s) => s + "\n";
        string F(FormattableString f) => FormattableString.Invariant(f);
        sb.Append(Line("- Step times, Korthikanti et al. 2022 Table 5 (seconds per iteration; + = modelled faster): "
            + Stats(steps.Where(s => !s.Reference.Tflops).Select(s => s.Error)) + "."));
        sb.Append(Line("- Step throughput, PTD-P (Narayanan et al. 2021) Table 1 (TFLOP/s per GPU; + = modelled "
            + "higher): " + Stats(steps.Where(s => s.Reference.Tflops).Select(s => s.Error)) + "."));
        sb.Append(Line("- Step MFU of the published runs, modelled vs the source's (model-FLOPs basis; + = modelled "
            + "higher; a check, fitted on nothing): "
            + Stats(rows.Where(r => r.MfuGap.HasValue).Select(r => r.MfuGap!.Value)) + "."));
        sb.Append(Line("- Accelerator-hours at the shipped constants, all runs with published hours (+ = modelled "
            + "more hours): " + Stats(rows.Where(r => r.Scored).Select(r => r.Error!.Value)) + "."));
        sb.Append(Line("- Firm runs (hours stated, pre-training only, not estimates): "
            + Stats(firm.Select(r => r.Error!.Value)) + "."));
        sb.Append(Line(F($"- **Leave-one-out** (+ = modelled more hours): kernel efficiency {fits.StepFitted:F2} ")
            + "fitted on the measured steps only (no run enters it), production overhead refitted on the other runs' "
            + "published hours, the held-out run's hours = step time ÷ goodput: "
            + Stats(fits.Loo.Select(l => l.HoursError))
            + F($"; fitted overheads {fits.Loo.Min(l => l.FittedOverhead):P1}–")
            + F($"{fits.Loo.Max(l => l.FittedOverhead):P1}.")));
        sb.Append(Line(F($"- Shipped: kernel efficiency {shipped.KernelEfficiency:F2}, production overhead ")
            + F($"{ReliabilityOptions.DefaultProductionOverhead:P1} (request field `reliability.production_overhead_")
            + F($"fraction`), FP8 GEMM speed-up {shipped.Fp8GemmSpeedup:F2}, overlap penalty ")
            + F($"{shipped.OverlapComputePenalty:F3}. Fitted now: kernel efficiency on measured steps (mean squared ")
            + F($"log error, grid 0.40–1.00) {fits.StepFitted:F2}; production overhead on all published hours at ")
            + F($"the shipped kernel efficiency (median log error) {fits.OverheadFitted:P1}.")));
        return sb.ToString();
    }

    private static string Markdown(List<ValidationRow> rows, List<StepComparison> steps, Fits fits, string summary)
    {
        var sb = new StringBuilder();
        string F(FormattableString f) => FormattableString.Invariant(f);
        sb.AppendLine("## Training runs");
        sb.AppendLine();
        sb.AppendLine("Generated by `make validate` "
            + "(`dotnet run -c Release --project tests/Platform.Benchmarks -- validate-training "
            + "--write docs/VALIDATION.md`).");
        sb.AppendLine("Every run of `training_runs.tsv` that states model, tokens, accelerator and count is estimated "
            + "with the published");
        sb.AppendLine("parallel layout where one is given (else the planner's best plan), "
            + "per-op times from the emulator's timing model");
        sb.AppendLine("and the goodput model (failures, checkpoints, evaluation, production overhead); see "
            + "docs/TRAINING.md. End-to-end time = step time ÷ goodput.");
        sb.AppendLine("What is fitted on what: the kernel efficiency on the measured steps below only (Korthikanti "
            + "Table 5, PTD-P Table 1);");
        sb.AppendLine("the production overhead (the goodput term beyond failures, checkpoints and evaluation) on "
            + "the published hours of the runs");
        sb.AppendLine("below. The leave-one-out refits the overhead without the held-out run; the kernel efficiency "
            + "never sees a run.");
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
        sb.AppendLine("### Measured steps");
        sb.AppendLine();
        sb.AppendLine("Sources: Korthikanti et al. 2022 Table 5 (iteration seconds; models of its Table 3) and "
            + "Narayanan et al. 2021 (PTD-P) Table 1");
        sb.AppendLine("(TFLOP/s per GPU, its hardware-FLOPs formula applied to the modelled iteration time). "
            + "GPT models on A100-80GB,");
        sb.AppendLine("s = 2048, V = 51,200, dropout, no fused attention; micro-batch 1 and 1F1B assumed (not "
            + "stated). Nothing is fitted per row;");
        sb.AppendLine("the shipped kernel efficiency applies. + = the model is faster than measured (seconds) or "
            + "higher (TFLOP/s).");
        sb.AppendLine();
        sb.AppendLine("| Source | Model | TP × PP, GPUs | Batch | Recompute | Measured | Modelled | Error "
            + "| Modelled step: where the time goes |");
        sb.AppendLine("|---|---|---|---:|---|---:|---:|---:|---|");
        foreach (var c in steps)
        {
            var r = c.Reference;
            string unit = r.Tflops ? " TFLOP/s" : " s";
            sb.AppendLine(F($"| {r.Source} | {r.Name} | {r.Tp} × {r.Pp}, {r.Gpus} | {r.GlobalBatch} | {r.Recompute} ")
                + F($"| {r.Measured:0.##}{unit} | {c.Modelled:0.##}{unit} | {c.Error:+0.0%;-0.0%} ")
                + $"| {Where(c.Step)} |");
        }
        sb.AppendLine();
        sb.AppendLine("### Published runs");
        sb.AppendLine();
        sb.AppendLine("Sources: the `source` column of training_runs.tsv (published accelerator-hours; the layout "
            + "and batch of each run in");
        sb.AppendLine("ValidationRuns.cs with its citation). Error: at the shipped constants (+ = modelled more "
            + "hours). Leave-one-out: the");
        sb.AppendLine("production overhead refitted on the other runs' published hours (fitted value in brackets), "
            + "the run's hours predicted");
        sb.AppendLine("at it with the step-fitted kernel efficiency. Step MFU gap: modelled ÷ reported − 1 "
            + "(+ = the model's step is faster).");
        sb.AppendLine();
        sb.AppendLine("| Run | Accelerators | Tokens | Published acc-h | Predicted acc-h | Error | Leave-one-out "
            + "| Step MFU | Reported step MFU | Published ÷ hours at reported MFU "
            + "| Goodput | End-to-end util | Plan | Flags |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        string LooCell(int i) => fits.Loo.FirstOrDefault(l => l.Row == i) is { } l
            ? F($"{l.HoursError:+0.0%;-0.0%} ({l.FittedOverhead:P1})")
            : "—";
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            string pub = r.PublishedHours is { } p ? p.ToString("N0", CultureInfo.InvariantCulture) : "—";
            string err = r.Error is { } e ? e.ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture) : "—";
            string rep = r.ReportedMfu > 0 ? r.ReportedMfu.ToString("P1", CultureInfo.InvariantCulture) : "—";
            string over = r.PublishedOverStepHours is { } o ? o.ToString("F2", CultureInfo.InvariantCulture) : "—";
            sb.AppendLine(F($"| {r.Model} | {r.Count:N0} × {r.Accelerator} | {r.Tokens:0.###e0} | {pub} ")
                + F($"| {r.PredictedHours:N0} | {err} | {LooCell(i)} ")
                + F($"| {r.Mfu:P1} | {rep} | {over} | {r.Goodput:P1} | {r.EffectiveUtilization:P1} | {r.Plan} ")
                + F($"| {string.Join("; ", r.Flags)} |"));
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
