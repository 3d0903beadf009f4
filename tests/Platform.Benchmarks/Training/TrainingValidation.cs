using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Platform.Modeling;
using TrainingCost.Domain;

namespace Platform.Benchmarks;

/// <summary>One row of the validation table.</summary>
public sealed record ValidationRow(string Model, string Accelerator, int Count, double Tokens, double? PublishedHours,
    double PredictedHours, double Mfu, double EffectiveUtilization, string Plan, List<string> Flags, string Note,
    string Detail = "", double ReportedMfu = 0, double Goodput = 1, double ProductionOverhead = 0)
{
    /// <summary>Modelled over reported step MFU − 1 (null when the source reports none).</summary>
    public double? MfuGap => ReportedMfu > 0 ? Mfu / ReportedMfu - 1 : null;
    /// <summary>
    /// Published hours over the hours the run's model FLOPs take at the source's own reported step MFU: 1 when the
    /// published figure was derived from throughput, above 1 by the share of non-step time (failures, restarts,
    /// evaluation, idle) it includes. Null without both figures.
    /// </summary>
    public double? PublishedOverStepHours => ReportedMfu > 0 && PublishedHours is { } p
        ? p / (EffectiveUtilization * PredictedHours / ReportedMfu)
        : null;
    public double? Error => PublishedHours is { } p ? PredictedHours / p - 1 : null;
    /// <summary>
    /// Counts toward the fidelity target: published hours that are neither estimates nor more than pre-training.
    /// </summary>
    public bool Scored => PublishedHours.HasValue;
    /// <summary>Published hours that are stated, not estimated or approximate, and cover pre-training only.</summary>
    public bool Firm => Scored && !Flags.Any(f => f.Contains("estimated") || f.Contains("approximate")
        || f.Contains("more than") || f.Contains("uncertain"));
}

/// <summary>
/// `validate-training`: estimates every published run of training_runs.tsv and compares accelerator-hours.
/// </summary>
public static class TrainingValidation
{
    public static string TsvPath()
    {
        string local = Path.Combine(AppContext.BaseDirectory, "Training", "Data", "training_runs.tsv");
        return File.Exists(local)
            ? local
            : Path.Combine("tests", "Platform.Benchmarks", "Training", "Data", "training_runs.tsv");
    }

    public static List<(Dictionary<string, string> Row, ValidationRun? Run, string? Skip)> Rows()
    {
        var lines = File.ReadAllLines(TsvPath());
        var header = lines[0].Split('\t');
        var result = new List<(Dictionary<string, string>, ValidationRun?, string?)>();
        foreach (var line in lines.Skip(1).Where(l => l.Trim().Length > 0))
        {
            var cells = line.Split('\t');
            var row = header.Select((h, i) => (h, v: i < cells.Length ? cells[i].Trim() : ""))
                .ToDictionary(x => x.h, x => x.v);
            string[] needed = ["training_tokens", "accelerator", "accelerator_count"];
            var missing = needed.Where(n => FirstNumber(row[n]) is null && n != "accelerator" || row[n].Length == 0)
                .ToList();
            var run = ValidationRuns.All.FirstOrDefault(r =>
                row["model"].StartsWith(r.ModelPrefix, StringComparison.Ordinal));
            string? skip = missing.Count > 0 ? $"does not state {string.Join(", ", missing)}"
                : run is null ? "no architecture for this model" : null;
            result.Add((row, run, skip));
        }
        return result;
    }

    public static async Task<List<ValidationRow>> EstimateAll(Platform.Modeling.Devices.IEmulator emulator,
        Calibration cal, CancellationToken ct = default)
    {
        var estimator = new TrainingEstimator(emulator, cal);
        var rows = new List<ValidationRow>();
        foreach (var (row, run, skip) in Rows())
        {
            if (skip is not null || run is null) continue;
            var flags = new List<string>();
            double tokens = run.TokensOverride > 0 ? run.TokensOverride : FirstNumber(row["training_tokens"])!.Value;
            int count = run.CountOverride > 0 ? run.CountOverride : (int)FirstNumber(row["accelerator_count"])!.Value;
            if (row["accelerator_count"].Contains('?')) flags.Add("count estimated");
            if (row["accelerator_count"].Contains("up to", StringComparison.OrdinalIgnoreCase))
                flags.Add("count is a maximum");
            if (row["training_tokens"].Contains('?') || run.TokensOverride > 0) flags.Add("tokens uncertain");
            double? published = run.PublishedHoursOverride > 0
                ? run.PublishedHoursOverride
                : FirstNumber(row["gpu_hours"]);
            if (row["gpu_hours"].Contains('?')) flags.Add("hours estimated");
            if (run.Flag is not null) flags.Add(run.Flag);
            var spec = new TrainingRunSpec
            {
                Model = ModelPresets.Get(run.Preset).Architecture,
                TrainingTokens = tokens,
                SequenceLength = run.SequenceLength,
                Accelerator = run.Accelerator,
                AcceleratorCount = count,
                Precision = run.Precision,
                GlobalBatchTokens = run.GlobalBatchTokens,
                Plan = run.Plan,
                ScaleOutGBpsOverride = run.ScaleOutGBps,
                MaterializedAttention = run.MaterializedAttention,
                Dropout = run.Dropout,
                AllowedSchedules = run.Schedules,
                MinTensorParallel = run.MinTensorParallel,
                RequiredRecompute = run.Recompute,
            };
            var e = await estimator.EstimateAsync(spec, ct);
            rows.Add(new ValidationRow(row["model"], run.Accelerator, count, tokens, published, e.AcceleratorHours,
                e.Mfu, e.EffectiveUtilization, e.Plan.ToString(), flags, run.Note, Detail(e), run.ReportedMfu,
                e.Reliability.Goodput, e.Reliability.ProductionOverheadFraction));
        }
        return rows;
    }

    public static string Detail(TrainingEstimate e)
    {
        var s = e.Step;
        double t = s.StepSeconds;
        return $"step {t:F2}s m={s.MicroBatches}: compute {s.ComputeSeconds / t:P0} "
            + $"tp {s.TensorParallelSeconds / t:P0} ep {s.ExpertParallelExposedSeconds / t:P0} "
            + $"(hidden {s.ExpertParallelOverlappedSeconds / t:P0}) pp {s.PipelineP2pSeconds / t:P0} "
            + $"dp {s.DataParallelExposedSeconds / t:P0} bubble {s.BubbleSeconds / t:P0} "
            + $"opt {s.OptimizerSeconds / t:P0}; "
            + $"goodput {e.Reliability.Goodput:P1} mem {e.Memory.TotalGb:F0}GB";
    }

    public static double? FirstNumber(string cell)
    {
        var m = Regex.Match(cell, @"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?");
        return m.Success ? double.Parse(m.Value, CultureInfo.InvariantCulture) : null;
    }

    public static double Median(IEnumerable<double> xs)
    {
        var s = xs.OrderBy(x => x).ToList();
        if (s.Count == 0) return double.NaN;
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
