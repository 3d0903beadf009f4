using System.ComponentModel;
using Google.Protobuf;
using Platform.Cli.Charts;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Training.V1;
using Spectre.Console;
using Spectre.Console.Cli;
using static Platform.Cli.Infrastructure.Output;
using JobsV1 = Platform.Contracts.Jobs.V1;

namespace Platform.Cli.Commands.Train;

public sealed class EstimateSettings : RunSettings
{
    [CommandOption("--job")]
    [Description("Submit it as a job and follow it with a progress bar (JobService.WatchJob)")]
    public bool Job { get; init; }
}

/// <summary>platform train estimate: one run's time, hours, cost, energy; --chart: where a step's time goes.</summary>
public sealed class EstimateCommand(CliEnvironment env) : PlatformCommand<EstimateSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(EstimateSettings s) => s.Named();

    protected override async Task<int> RunAsync(Connection c, EstimateSettings s, CancellationToken ct)
    {
        var client = new TrainingCostService.TrainingCostServiceClient(c.Invoker);
        var spec = s.ToSpec();
        var o = Output(s);
        TrainingEstimate e;
        if (s.Job)
        {
            var sub = await client.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = spec }, c.Options(ct));
            var job = await JobWatcher.WatchAsync(c, Env, sub.JobId, o.Json, ct);
            if (job.State != Contracts.Common.V1.JobState.Succeeded)
            {
                Env.Error.WriteLine(JobWatcher.Failure(job));
                return JobWatcher.ExitCode(job);
            }
            if (o.Json) { o.WriteJson(job); Chart(s, job.TrainingEstimate, o); return ExitCodes.Ok; }
            e = job.TrainingEstimate;
        }
        else
        {
            var r = await client.EstimateTrainingRunAsync(new EstimateTrainingRunRequest { Run = spec },
                c.Options(ct));
            // The response has TrainingEstimate's fields under the same numbers.
            e = TrainingEstimate.Parser.ParseFrom(r.ToByteString());
            if (o.Json) { o.WriteJson(r); Chart(s, e, o); return ExitCodes.Ok; }
        }
        o.Write(Summary(e));
        Chart(s, e, o);
        return ExitCodes.Ok;
    }

    private static void Chart(EstimateSettings s, TrainingEstimate e, Output o)
    {
        if (s.Chart is null) return;
        ChartFile.Save(TrainingCharts.Breakdown(StepParts(e), $"Where one step's time goes: {e.Accelerators:N0} x " +
            $"{e.Accelerator}, step {e.StepTimeSeconds:0.00} s", "seconds per optimizer step"), s.Chart);
        o.Saved(s.Chart);
    }

    /// <summary>A step's critical-path time by part, plus the communication hidden behind compute.</summary>
    public static IReadOnlyList<Part> StepParts(TrainingEstimate e)
    {
        var st = e.Step ?? new StepTime();
        return
        [
            new("compute", st.ComputeSeconds), new("tensor-parallel comm.", st.TensorParallelSeconds),
            new("expert-parallel (exposed)", st.ExpertParallelExposedSeconds),
            new("context-parallel (exposed)", st.ContextParallelExposedSeconds),
            new("pipeline p2p", st.PipelineP2PSeconds), new("pipeline bubble", st.BubbleSeconds),
            new("data-parallel (exposed)", st.DataParallelExposedSeconds), new("optimizer", st.OptimizerSeconds),
            new("overlapped comm. (hidden)", st.OverlappedCommunicationSeconds),
        ];
    }

    public static Grid Summary(TrainingEstimate e)
    {
        var g = new Grid().AddColumn().AddColumn();
        void Row(string k, string v) => g.AddRow(new Markup($"[bold]{E(k)}[/]"), new Markup(E(v)));
        Row("run", $"{e.Accelerators:N0} x {e.Accelerator}, {Sci(e.TotalFlops)} FLOPs " +
            $"({e.FlopsPerToken / 1e9:0.#} GFLOP/token)");
        Row("plan", Plans.Describe(e.Plan));
        Row("memory", $"{e.MemoryPerAcceleratorGb:0.#} GB per accelerator of {e.Memory?.CapacityGb:0} GB" +
            (e.Fits ? "" : $" - does not fit: {e.Memory?.Reason}"));
        Row("step",
            $"{e.StepTimeSeconds:0.###} s, {e.TokensPerSecond:N0} tokens/s, MFU {Pct(e.ModelFlopsUtilization)}");
        Row("goodput", $"{Pct(e.Reliability?.Goodput ?? 0)} ({e.Reliability?.ExpectedInterruptions:0} interruptions " +
            "expected)");
        Row("wall clock", $"{e.WallClockDays:0.0} days");
        Row("accelerator-hours", $"{e.AcceleratorHours:N0}");
        Row("cost", $"{Usd(e.CostUsd)} at ${e.PricePerAcceleratorHourUsd:0.00}/h");
        Row("energy", $"{e.EnergyMwh:N0} MWh, {e.Co2Tonnes:N0} t CO2");
        return g;
    }
}

/// <summary>Parallel plans in words.</summary>
public static class Plans
{
    public static string Describe(ParallelismPlan? p)
    {
        if (p is null) return "-";
        string s = $"TP{p.TensorParallel} PP{p.PipelineParallel} DP{p.DataParallel} EP{p.ExpertParallel}";
        if (p.ContextParallel > 1) s += $" CP{p.ContextParallel}";
        s += $" ZeRO-{(p.HasZeroStage ? p.ZeroStage : 1)} mb{p.MicroBatchSize} {Parse.Short(p.Recompute)} " +
             Parse.Short(p.PipelineSchedule);
        if (p.VirtualStages > 1) s += $" v{p.VirtualStages}";
        return s;
    }
}

public sealed class PlanSettings : RunSettings
{
    [CommandOption("--top <N>")]
    [Description("Plans to return (default 5)")]
    public int Top { get; init; } = 5;

    [CommandOption("--job")]
    [Description("Submit it as a job and follow it with a progress bar (JobService.WatchJob)")]
    public bool Job { get; init; }
}

/// <summary>platform train plan: the best parallel layouts and why others were rejected.</summary>
public sealed class PlanCommand(CliEnvironment env) : PlatformCommand<PlanSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(PlanSettings s) => s.Named();

    protected override async Task<int> RunAsync(Connection c, PlanSettings s, CancellationToken ct)
    {
        var client = new TrainingCostService.TrainingCostServiceClient(c.Invoker);
        var o = Output(s);
        PlanParallelismResponse r;
        if (s.Job)
        {
            var sub = await client.SubmitPlanJobAsync(new SubmitPlanJobRequest { Run = s.ToSpec(), TopK = s.Top },
                c.Options(ct));
            JobsV1.Job job = await JobWatcher.WatchAsync(c, Env, sub.JobId, o.Json, ct);
            if (job.State != Contracts.Common.V1.JobState.Succeeded)
            {
                Env.Error.WriteLine(JobWatcher.Failure(job));
                return JobWatcher.ExitCode(job);
            }
            if (o.Json) o.WriteJson(job);
            r = job.TrainingPlan;
        }
        else
        {
            r = await client.PlanParallelismAsync(new PlanParallelismRequest { Run = s.ToSpec(), TopK = s.Top },
                c.Options(ct));
            if (o.Json) o.WriteJson(r);
        }
        if (s.Chart is not null)
        {
            ChartFile.Save(TrainingCharts.Breakdown([.. r.Plans.Select((p, i) =>
                    new Part($"#{i + 1} {Plans.Describe(p.Plan)}", p.WallClockDays))],
                "Best parallel plans: wall-clock days", "days"), s.Chart);
            o.Saved(s.Chart);
        }
        if (o.Json) return ExitCodes.Ok;
        var t = Table("#", "plan", "#step s", "#MFU", "#GB/acc.", "#days", "#acc-hours", "#cost");
        int i = 0;
        foreach (var p in r.Plans)
            t.AddRow((++i).ToString(), E(Plans.Describe(p.Plan)), Num(p.StepTimeSeconds, 3),
                Pct(p.ModelFlopsUtilization), Num(p.MemoryPerAcceleratorGb, 1), Num(p.WallClockDays, 1),
                Num(p.AcceleratorHours, 0), Usd(p.CostUsd));
        o.Write(t);
        o.Line($"{r.CandidatesEvaluated:N0} candidates evaluated");
        foreach (var rej in r.Rejections.Take(5)) o.Line($"  rejected {rej.Count:N0}: {E(rej.Reason)}");
        return ExitCodes.Ok;
    }
}
