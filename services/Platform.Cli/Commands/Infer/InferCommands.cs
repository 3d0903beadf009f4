using System.ComponentModel;
using Platform.Cli.Charts;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Inference.V1;
using Spectre.Console;
using Spectre.Console.Cli;
using static Platform.Cli.Infrastructure.Output;

namespace Platform.Cli.Commands.Infer;

public sealed class SimulateSettings : DeploymentSettings
{
    [CommandOption("--rates <LIST>")]
    [Description("Sweep: simulate at each of these rates (e.g. 1,2,4,8); --chart then plots latency against load")]
    public string? Rates { get; init; }

    [CommandOption("--goodput-chart <FILE>")]
    [Description("Sweep: also chart goodput against the offered rate")]
    public string? GoodputChart { get; init; }

    [CommandOption("--cdf-chart <FILE>")]
    [Description("Also chart the CDFs of every request's TTFT and TPOT (one curve per rate with --rates)")]
    public string? CdfChart { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        foreach (var (flag, file) in new[] { ("--goodput-chart", GoodputChart), ("--cdf-chart", CdfChart) })
            if (file is not null && !ChartFile.IsSupported(file))
                return Spectre.Console.ValidationResult.Error($"{flag}: the file must end in .svg or .png");
        return base.Validate();
    }
}

/// <summary>platform infer simulate: serving metrics of one deployment; --rates sweeps the load.</summary>
public sealed class SimulateCommand(CliEnvironment env) : PlatformCommand<SimulateSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(SimulateSettings s) => s.Named();

    protected override async Task<int> RunAsync(Connection c, SimulateSettings s, CancellationToken ct)
    {
        var client = new InferenceSchedulerService.InferenceSchedulerServiceClient(c.Invoker);
        var rates = Parse.Numbers("--rates", s.Rates, 32);
        var o = Output(s);
        var samples = new List<LatencySamples>();
        async Task<SimulateWorkloadResponse> Simulate(double? rate)
        {
            if (s.CdfChart is null) return await client.SimulateWorkloadAsync(Request(s, rate), c.Options(ct));
            string name = s.Trace is not null && rate is null ? s.Trace : $"{rate ?? s.Rate ?? 2:0.##} req/s";
            var (summary, run) = await SimulationStream.RunAsync(c, Request(s, rate), name, ct);
            samples.Add(run);
            return summary;
        }
        string what = $"{s.Model} on {s.Replicas} x {s.Device} TP{s.Tp}";
        if (rates.Count == 0)
        {
            var r = await Simulate(null);
            SaveCdf(o, s, samples, what);
            if (s.Chart is not null)
            {
                ChartFile.Save(ServingCharts.Timeline(Timeline(r),
                    $"{s.Model} on {s.Replicas} x {s.Device} TP{s.Tp}: " +
                    "queue, running, KV cache"), s.Chart);
                o.Saved(s.Chart);
            }
            if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
            o.Write(Metrics([(s.Rate ?? 0, r)]));
            foreach (string n in r.Notes.Take(5)) o.Line("[grey]" + E(n) + "[/]");
            return ExitCodes.Ok;
        }
        var results = new List<(double Rate, SimulateWorkloadResponse R)>();
        foreach (double rate in rates)
        {
            var r = await Simulate(rate);
            results.Add((rate, r));
            if (o.Json) o.WriteJson(r);
        }
        var points = results.Select(x => Point(x.Rate, x.R)).ToList();
        SaveCdf(o, s, samples, what);
        if (s.Chart is not null)
        {
            ChartFile.Save(ServingCharts.LatencyVsLoad(points, $"{s.Model} on {s.Replicas} x {s.Device} TP{s.Tp}: " +
                "latency against load", s.TtftSlo, s.TpotSlo), s.Chart);
            o.Saved(s.Chart);
        }
        if (s.GoodputChart is not null)
        {
            ChartFile.Save(ServingCharts.GoodputVsRate([new LoadSeries($"{s.Device} TP{s.Tp}", points)],
                $"{s.Model} on {s.Replicas} x {s.Device}: goodput"),
                s.GoodputChart);
            o.Saved(s.GoodputChart);
        }
        if (!o.Json) o.Write(Metrics(results));
        return ExitCodes.Ok;
    }

    private static void SaveCdf(Output o, SimulateSettings s, IReadOnlyList<LatencySamples> samples, string what)
    {
        if (s.CdfChart is null) return;
        ChartFile.Save(ServingCharts.LatencyCdf(samples, $"{what}: TTFT and TPOT CDFs", s.TtftSlo, s.TpotSlo),
            s.CdfChart);
        o.Saved(s.CdfChart);
    }

    private static SimulateWorkloadRequest Request(SimulateSettings s, double? rate) => new()
    {
        Model = s.ModelSpec(), Deployment = s.Deployment(), Workload = s.Workload(rate), Slo = s.Slo(),
    };

    public static LoadPoint Point(double rate, SimulateWorkloadResponse r)
    {
        var m = r.Metrics ?? new ServingMetrics();
        return new LoadPoint(rate, m.TtftMs?.P50 ?? 0, m.TtftMs?.P90 ?? 0, m.TtftMs?.P99 ?? 0, m.TpotMs?.P50 ?? 0,
            m.TpotMs?.P99 ?? 0, m.Goodput, m.SloAttainment);
    }

    public static IReadOnlyList<TimelineSample> Timeline(SimulateWorkloadResponse r) =>
        [.. r.Timeline.Select(p => new TimelineSample(p.StartSeconds, p.WaitingRequests, p.RunningRequests,
            p.KvCacheUtilization, p.AcceleratorUtilization))];

    private static Spectre.Console.Table Metrics(IEnumerable<(double Rate, SimulateWorkloadResponse R)> rows)
    {
        var t = Table("#rate", "#done", "#TTFT p50 ms", "#TTFT p99 ms", "#TPOT p50 ms", "#TPOT p99 ms", "#out tok/s",
            "#goodput", "#SLO met", "#KV peak", "#$/M out tok");
        foreach (var (rate, r) in rows)
        {
            var m = r.Metrics ?? new ServingMetrics();
            t.AddRow(rate > 0 ? Num(rate, 2) : "-", r.CompletedRequests.ToString(), Num(m.TtftMs?.P50 ?? 0, 1),
                Num(m.TtftMs?.P99 ?? 0, 1), Num(m.TpotMs?.P50 ?? 0, 1), Num(m.TpotMs?.P99 ?? 0, 1),
                Num(m.OutputTokenThroughput, 0), Num(m.Goodput, 2), Pct(m.SloAttainment),
                Pct(m.PeakKvCacheUtilization), Num(r.Cost?.UsdPerMillionOutputTokens ?? 0, 2));
        }
        return t;
    }
}

public sealed class CapacitySettings : WorkloadSettings
{
    [CommandOption("--devices <IDS>")]
    [Description("Accelerators to try (default h800,h20,ascend-910b)")]
    public string Devices { get; init; } = "h800,h20,ascend-910b";

    [CommandOption("--tp <LIST>")]
    [Description("Tensor-parallel degrees to try (default: every power of two in a node)")]
    public string? Tp { get; init; }

    [CommandOption("--pp <LIST>")]
    [Description("Pipeline-parallel degrees to try (default 1)")]
    public string? Pp { get; init; }

    [CommandOption("--weight-dtype <D>")]
    [Description("Weight format of every candidate: bf16 (default), fp8-e4m3, ... (a chip without it is rejected)")]
    public string? WeightDtype { get; init; }

    [CommandOption("--attainment <F>")]
    [Description("Share of requests that must meet the SLOs (default 0.9)")]
    public double Attainment { get; init; }

    [CommandOption("--max-accelerators <N>")]
    [Description("Most accelerators per deployment (default 64)")]
    public int MaxAccelerators { get; init; }

    [CommandOption("--job")]
    [Description("Submit it as a capacity-plan job and follow it with a progress bar")]
    public bool Job { get; init; }

    public override IEnumerable<NamedValue> Named() => [new("--devices", NameKind.Device, Devices), .. base.Named()];
}

/// <summary>platform infer plan: the cheapest deployments meeting the SLOs at a rate (PlanCapacity).</summary>
public sealed class CapacityCommand(CliEnvironment env) : PlatformCommand<CapacitySettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(CapacitySettings s) => s.Named();

    protected override async Task<int> RunAsync(Connection c, CapacitySettings s, CancellationToken ct)
    {
        var req = new PlanCapacityRequest
        {
            Model = s.ModelSpec(), Workload = s.Workload(), TargetRequestsPerSecond = s.Rate ?? 0, Slo = s.Slo(),
            SloAttainment = s.Attainment, MaxAccelerators = s.MaxAccelerators,
            Candidates = new CapacityCandidates(),
        };
        req.Candidates.Accelerators.AddRange(Parse.List("--devices", s.Devices, 32));
        req.Candidates.TensorParallel.AddRange(Parse.List("--tp", s.Tp, 16).Select(v => (int)Parse.Count("--tp", v)));
        req.Candidates.PipelineParallel.AddRange(Parse.List("--pp", s.Pp, 16).Select(v => (int)Parse.Count("--pp", v)));
        if (s.WeightDtype is not null)
            req.Deployment = new Deployment
            {
                WeightDtype = Parse.Enum<Contracts.Common.V1.Dtype>("--weight-dtype",
                s.WeightDtype)
            };
        var o = Output(s);
        PlanCapacityResponse r;
        if (s.Job)
        {
            var sub = await new InferenceSchedulerService.InferenceSchedulerServiceClient(c.Invoker)
                .SubmitCapacityPlanAsync(new SubmitCapacityPlanRequest { Plan = req }, c.Options(ct));
            var job = await JobWatcher.WatchAsync(c, Env, sub.JobId, o.Json, ct);
            if (job.State != Contracts.Common.V1.JobState.Succeeded)
            {
                Env.Error.WriteLine(JobWatcher.Failure(job));
                return JobWatcher.ExitCode(job);
            }
            r = job.CapacityPlan;
        }
        else
            r = await new InferenceSchedulerService.InferenceSchedulerServiceClient(c.Invoker)
                .PlanCapacityAsync(req, c.Options(ct));
        if (s.Chart is not null)
        {
            ChartFile.Save(ServingCharts.CapacityCost(Bars(r),
                $"{s.Model} at {r.TargetRequestsPerSecond:0.##} req/s: " +
                "cost per option"), s.Chart);
            o.Saved(s.Chart);
        }
        if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
        var t = Table("layout", "#accelerators", "#$/hour", "#$/M out tok", "#TTFT p99", "#TPOT p99", "#SLO met");
        foreach (var x in r.Options.Take(20))
            t.AddRow(E(x.Layout), x.AcceleratorCount.ToString(), Num(x.CostPerHourUsd),
                Num(x.CostPerMillionOutputTokensUsd),
                Num(x.TtftP99Ms, 0), Num(x.TpotP99Ms, 1), Pct(x.SloAttainment));
        o.Write(t);
        if (!r.SloMet && r.Closest is not null)
            o.Line($"[yellow]no layout meets the SLOs[/]; closest: {E(r.Closest.Layout)} " +
                $"({Pct(r.Closest.SloAttainment)})");
        o.Line($"{r.CandidateLayouts} layouts, {r.Simulations:N0} simulations, {r.WallSeconds:0.0} s; " +
            $"{r.Rejected.Count} rejected");
        return ExitCodes.Ok;
    }

    public static IReadOnlyList<CapacityBar> Bars(PlanCapacityResponse r) =>
        [.. (r.Options.Count > 0 ? r.Options : r.Closest is null ? [] : [r.Closest]).Select(o =>
            new CapacityBar(o.Layout, o.CostPerHourUsd, o.CostPerMillionOutputTokensUsd, o.AcceleratorCount,
                o.MeetsSlo))];
}

/// <summary>platform infer traces: the built-in workload traces.</summary>
public sealed class TracesCommand(CliEnvironment env) : PlatformCommand<GlobalSettings>(env)
{
    protected override async Task<int> RunAsync(Connection c, GlobalSettings s, CancellationToken ct)
    {
        var r = await new InferenceSchedulerService.InferenceSchedulerServiceClient(c.Invoker)
            .ListTracesAsync(new ListTracesRequest(), c.Options(ct));
        var o = Output(s);
        if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
        var t = Table("name", "format", "#requests", "#span s", "#mean in", "#mean out", "source");
        foreach (var x in r.Traces)
            t.AddRow(E(x.Name), E(x.Format), x.Requests.ToString("N0"), Num(x.SpanSeconds, 0),
                Num(x.MeanInputTokens, 0),
                Num(x.MeanOutputTokens, 0), E(x.Source));
        o.Write(t);
        return ExitCodes.Ok;
    }
}
