using System.ComponentModel;
using Platform.Cli.Charts;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Training.V1;
using Spectre.Console;
using Spectre.Console.Cli;
using static Platform.Cli.Infrastructure.Output;

namespace Platform.Cli.Commands.Train;

public sealed class CompareSettings : RunSettings
{
    [CommandOption("--devices <IDS>")]
    [Description("Comma list of accelerator ids (default h800,h100-sxm,h20,b200,ascend-910b,mi300x)")]
    public string Devices { get; init; } = "h800,h100-sxm,h20,b200,ascend-910b,mi300x";

    public override IEnumerable<NamedValue> Named() =>
        [new("--devices", NameKind.Device, Devices), .. base.Named()];
}

/// <summary>platform train compare: the same run on several accelerators; --chart: time, cost, energy bars.</summary>
public sealed class CompareCommand(CliEnvironment env) : PlatformCommand<CompareSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(CompareSettings s) => s.Named();

    protected override async Task<int> RunAsync(Connection c, CompareSettings s, CancellationToken ct)
    {
        var req = new CompareAcceleratorsRequest { Run = s.ToSpec() };
        req.Accelerators.AddRange(Parse.List("--devices", s.Devices, 32));
        if (req.Accelerators.Count == 0) throw new CliUsageException("--devices: give at least one accelerator id");
        var r = await new TrainingCostService.TrainingCostServiceClient(c.Invoker)
            .CompareAcceleratorsAsync(req, c.Options(ct));
        var o = Output(s);
        if (s.Chart is not null)
        {
            ChartFile.Save(TrainingCharts.ChipComparison(Runs(r), $"{s.Model} on {s.Count} accelerators: time, " +
                "cost, energy"), s.Chart);
            o.Saved(s.Chart);
        }
        if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
        var t = Table("accelerator", "fits", "plan", "#MFU", "#days", "#acc-hours", "#cost", "#MWh");
        foreach (var x in r.Results)
        {
            var e = x.Estimate ?? new TrainingEstimate();
            t.AddRow(E(x.Accelerator), x.Fits ? "yes" : E("no: " + x.Reason), E(x.Fits ? Plans.Describe(e.Plan) : ""),
                x.Fits ? Pct(e.ModelFlopsUtilization) : "", x.Fits ? Num(e.WallClockDays, 1) : "",
                x.Fits ? Num(e.AcceleratorHours, 0) : "", x.Fits ? Usd(e.CostUsd) : "", x.Fits ? Num(e.EnergyMwh,
                    0) : "");
        }
        o.Write(t);
        return ExitCodes.Ok;
    }

    public static IReadOnlyList<ChipRun> Runs(CompareAcceleratorsResponse r) =>
        [.. r.Results.Select(x => new ChipRun(x.Accelerator, x.Estimate?.WallClockDays ?? 0, x.Estimate?.CostUsd ?? 0,
            x.Estimate?.EnergyMwh ?? 0, x.Estimate?.AcceleratorHours ?? 0, x.Fits))];
}

public sealed class OptimalSettings : GlobalSettings
{
    [CommandOption("--budget <FLOPS>")]
    [Description("Compute budget in FLOPs, e.g. 1e24")]
    public string? Budget { get; init; }

    [CommandOption("--params <N>")]
    [Description("Model size (the reverse question), e.g. 70B")]
    public string? Params { get; init; }

    public override Spectre.Console.ValidationResult Validate() =>
        (Budget is null) == (Params is null)
            ? Spectre.Console.ValidationResult.Error("give exactly one of --budget (e.g. 1e24) or --params (e.g. 70B)")
            : base.Validate();
}

/// <summary>platform train optimal: compute-optimal size and tokens (Chinchilla, Epoch AI refit).</summary>
public sealed class OptimalCommand(CliEnvironment env) : PlatformCommand<OptimalSettings>(env)
{
    protected override async Task<int> RunAsync(Connection c, OptimalSettings s, CancellationToken ct)
    {
        var req = new ComputeOptimalRequest();
        if (s.Budget is not null) req.ComputeBudgetFlops = Parse.Number("--budget", s.Budget);
        else req.Parameters = Parse.Count("--params", s.Params!);
        var r = await new TrainingCostService.TrainingCostServiceClient(c.Invoker)
            .ComputeOptimalAsync(req, c.Options(ct));
        var o = Output(s);
        if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
        var t = Table("parameters", "tokens", "compute FLOPs", "#tokens/param", "#predicted loss");
        t.AddRow(ChartFile.Compact(r.Parameters), ChartFile.Compact(r.Tokens), Sci(r.ComputeFlops),
            Num(r.TokensPerParameter, 1), Num(r.PredictedLoss, 3));
        o.Write(t);
        o.Line(E(r.Method));
        return ExitCodes.Ok;
    }
}

public sealed class TrendSettings : RunSettings
{
    [CommandOption("--cost <USD>")]
    [Description("Today's cost; without it the run given by the other flags is estimated")]
    public double? Cost { get; init; }

    [CommandOption("--years <N>")]
    [Description("Years to project (default 5)")]
    public int Years { get; init; } = 5;

    [CommandOption("--points-per-year <N>")]
    [Description("Points per year (default 1)")]
    public int PointsPerYear { get; init; } = 1;
}

/// <summary>platform train trend: what the same capability costs over coming years; --chart: the curve.</summary>
public sealed class TrendCommand(CliEnvironment env) : PlatformCommand<TrendSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(TrendSettings s) => s.Cost is null ? s.Named() : [];

    protected override async Task<int> RunAsync(Connection c, TrendSettings s, CancellationToken ct)
    {
        var req = new ProjectCostRequest { Years = s.Years, PointsPerYear = s.PointsPerYear };
        if (s.Cost is { } usd) req.CostUsd = usd;
        else req.Run = s.ToSpec();
        var r = await new TrainingCostService.TrainingCostServiceClient(c.Invoker).ProjectCostAsync(req, c.Options(ct));
        var o = Output(s);
        if (s.Chart is not null)
        {
            ChartFile.Save(TrainingCharts.CostTrend(Points(r), $"Cost of the same capability: " +
                $"-{r.AnnualDecline:P0} a year"), s.Chart);
            o.Saved(s.Chart);
        }
        if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
        var t = Table("#years from now", "#cost", "#hardware ÷", "#algorithms ÷");
        foreach (var p in r.Series)
            t.AddRow(Num(p.YearsFromNow, 1), Usd(p.CostUsd), Num(p.HardwareFactor, 2), Num(p.AlgorithmicFactor, 2));
        o.Write(t);
        o.Line($"today {Usd(r.CostTodayUsd)}, decline {Pct(r.AnnualDecline)} a year");
        return ExitCodes.Ok;
    }

    public static IReadOnlyList<Charts.CostPoint> Points(ProjectCostResponse r) =>
        [.. r.Series.Select(p => new Charts.CostPoint(p.YearsFromNow, p.CostUsd))];
}
