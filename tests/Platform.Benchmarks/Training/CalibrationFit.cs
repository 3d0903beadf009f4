using TrainingCost.Domain;

namespace Platform.Benchmarks;

/// <summary>Every run and every measured step at one kernel efficiency.</summary>
public sealed record GridPoint(double KernelEfficiency, List<ValidationRow> Rows, List<StepComparison> Steps);

/// <summary>One held-out run: the kernel efficiency fitted without it and its error at that value.</summary>
public sealed record LeaveOneOut(int Row, double FittedKernelEfficiency, double HoursError, double? MfuGap);

/// <summary>
/// The kernel-efficiency fits of `make validate`, each over a grid (0.40–1.00, step 0.01) with a mean squared
/// log-error loss (sensitive to every point, so leaving a run out moves the fit when that run pulls it):
/// <list type="bullet">
/// <item>on measured steps only — Korthikanti Table 5, PTD-P Table 1 and each run's reported step MFU — so the
/// hours are an out-of-sample prediction of step time ÷ modelled goodput;</item>
/// <item>on published hours (what the shipped constant was historically fitted on), for comparison.</item>
/// </list>
/// Leave-one-out: for each run with published hours, refit without that run (its hours, its reported MFU) and
/// predict it.
/// </summary>
public static class CalibrationFit
{
    public static readonly double[] Grid = Enumerable.Range(0, 61).Select(i => 0.40 + 0.01 * i).ToArray();

    public static async Task<List<GridPoint>> EvaluateGrid(Platform.Modeling.Devices.IEmulator emulator,
        Calibration shipped)
    {
        var grid = new List<GridPoint>();
        foreach (double k in Grid)
        {
            var cal = shipped with { KernelEfficiency = k };
            grid.Add(new GridPoint(k, await TrainingValidation.EstimateAll(emulator, cal),
                await StepReferences.EvaluateAll(emulator, cal)));
        }
        return grid;
    }

    private static double Sq(double ratio) => Math.Log(ratio) * Math.Log(ratio);

    /// <summary>Step loss at one grid point: every measured step and every reported MFU but the excluded
    /// run's.</summary>
    public static double StepLoss(GridPoint g, int excluded = -1)
    {
        var terms = g.Steps.Select(s => Sq(1 + s.Error)).ToList();
        for (int i = 0; i < g.Rows.Count; i++)
            if (i != excluded && g.Rows[i].MfuGap is { } gap) terms.Add(Sq(1 + gap));
        return terms.Average();
    }

    /// <summary>Hours loss at one grid point over the runs with published hours but the excluded one.</summary>
    public static double HoursLoss(GridPoint g, int excluded = -1)
    {
        var terms = new List<double>();
        for (int i = 0; i < g.Rows.Count; i++)
            if (i != excluded && g.Rows[i].PublishedHours is { } p) terms.Add(Sq(g.Rows[i].PredictedHours / p));
        return terms.Count == 0 ? 0 : terms.Average();
    }

    public static GridPoint Best(List<GridPoint> grid, Func<GridPoint, double> loss) =>
        grid.OrderBy(loss).First();

    /// <summary>Leave-one-out over the runs with published hours, fitting with <paramref name="loss"/>.</summary>
    public static List<LeaveOneOut> LeaveOneOutOf(List<GridPoint> grid, Func<GridPoint, int, double> loss)
    {
        var result = new List<LeaveOneOut>();
        var rows = grid[0].Rows;
        for (int i = 0; i < rows.Count; i++)
        {
            if (!rows[i].Scored) continue;
            var g = grid.OrderBy(x => loss(x, i)).First();
            var r = g.Rows[i];
            result.Add(new LeaveOneOut(i, g.KernelEfficiency, r.Error!.Value, r.MfuGap));
        }
        return result;
    }
}
