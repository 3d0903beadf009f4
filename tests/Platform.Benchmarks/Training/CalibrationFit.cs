using TrainingCost.Domain;

namespace Platform.Benchmarks;

/// <summary>The measured steps at one kernel efficiency.</summary>
public sealed record StepGridPoint(double KernelEfficiency, List<StepComparison> Steps);

/// <summary>One held-out run: the production overhead fitted without it and its hours error at that value.</summary>
public sealed record LeaveOneOut(int Row, double FittedOverhead, double HoursError);

/// <summary>
/// The two fits of `make validate`, each on its own data:
/// <list type="bullet">
/// <item>the kernel efficiency on measured benchmark steps only (Korthikanti Table 5, PTD-P Table 1), over a grid
/// (0.40–1.00, step 0.01) with a mean squared log-error loss; no published run enters it;</item>
/// <item>the production overhead (the goodput term beyond failures, checkpoints and evaluation) on published hours,
/// as the share whose log-ratio is the median of published ÷ (step time ÷ modelled failure goodput): the least
/// absolute log error, so in sample as many runs come out above as below.</item>
/// </list>
/// Leave-one-out: for each run with published hours, the overhead refitted on the other runs' hours (the kernel
/// efficiency never saw any run) and the run predicted.
/// </summary>
public static class CalibrationFit
{
    public static readonly double[] Grid = Enumerable.Range(0, 61).Select(i => 0.40 + 0.01 * i).ToArray();

    public static async Task<List<StepGridPoint>> EvaluateStepGrid(Platform.Modeling.Devices.IEmulator emulator,
        Calibration shipped)
    {
        var grid = new List<StepGridPoint>();
        foreach (double k in Grid)
            grid.Add(new StepGridPoint(k,
                await StepReferences.EvaluateAll(emulator, shipped with { KernelEfficiency = k })));
        return grid;
    }

    private static double Sq(double ratio) => Math.Log(ratio) * Math.Log(ratio);

    /// <summary>Step loss: mean squared log error over every measured step.</summary>
    public static double StepLoss(StepGridPoint g) => g.Steps.Select(s => Sq(1 + s.Error)).Average();

    public static double BestKernelEfficiency(List<StepGridPoint> grid) =>
        grid.OrderBy(StepLoss).First().KernelEfficiency;

    /// <summary>Hours the run would take with no production overhead (the overhead divides them exactly).</summary>
    public static double BaseHours(ValidationRow r) => r.PredictedHours * (1 - r.ProductionOverhead);

    /// <summary>The production overhead fitted on the published hours of <paramref name="rows"/> but the excluded
    /// one: 1 − exp(median ln(base ÷ published)), at least 0.</summary>
    public static double FitOverhead(List<ValidationRow> rows, int excluded = -1)
    {
        var logs = new List<double>();
        for (int i = 0; i < rows.Count; i++)
            if (i != excluded && rows[i].PublishedHours is { } p) logs.Add(Math.Log(BaseHours(rows[i]) / p));
        if (logs.Count == 0) return 0;
        return Math.Clamp(1 - Math.Exp(TrainingValidation.Median(logs)), 0, 0.95);
    }

    /// <summary>Hours error of a row at production overhead <paramref name="overhead"/>.</summary>
    public static double ErrorAt(ValidationRow r, double overhead) =>
        BaseHours(r) / (1 - overhead) / r.PublishedHours!.Value - 1;

    /// <summary>Leave-one-out over the runs with published hours.</summary>
    public static List<LeaveOneOut> LeaveOneOutOf(List<ValidationRow> rows)
    {
        var result = new List<LeaveOneOut>();
        for (int i = 0; i < rows.Count; i++)
        {
            if (!rows[i].Scored) continue;
            double f = FitOverhead(rows, i);
            result.Add(new LeaveOneOut(i, f, ErrorAt(rows[i], f)));
        }
        return result;
    }
}
