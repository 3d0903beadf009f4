using System.ComponentModel;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Jobs.V1;
using Spectre.Console;
using Spectre.Console.Cli;
using static Platform.Cli.Infrastructure.Output;

namespace Platform.Cli.Commands.Jobs;

public sealed class ListJobsSettings : GlobalSettings
{
    [CommandOption("--kind <KIND>")]
    [Description("estimate, plan, kernel-batch, capacity-plan or simulation")]
    public string? Kind { get; init; }

    [CommandOption("--state <STATE>")]
    [Description("queued, running, succeeded, failed or cancelled")]
    public string? State { get; init; }

    [CommandOption("--limit <N>")]
    [Description("Most jobs to show (default 50, newest first)")]
    public int Limit { get; init; } = 50;

    public override Spectre.Console.ValidationResult Validate() =>
        Limit is < 1 or > 10_000
            ? Spectre.Console.ValidationResult.Error("--limit: give 1 to 10000")
            : Kind is not null && !Kinds.Contains(Kind)
                ? Spectre.Console.ValidationResult.Error(Suggest.Message("--kind", "job kind", Kind, Kinds))
                : base.Validate();

    public static readonly string[] Kinds = ["estimate", "plan", "kernel-batch", "capacity-plan", "simulation"];
}

/// <summary>platform jobs list: jobs of every kind, newest first.</summary>
public sealed class ListJobsCommand(CliEnvironment env) : PlatformCommand<ListJobsSettings>(env)
{
    protected override async Task<int> RunAsync(Connection c, ListJobsSettings s, CancellationToken ct)
    {
        var client = new JobService.JobServiceClient(c.Invoker);
        var req = new ListJobsRequest { Kind = s.Kind ?? "", PageSize = Math.Min(s.Limit, 1_000) };
        if (s.State is not null) req.State = Parse.Enum<JobState>("--state", s.State);
        var all = new ListJobsResponse();
        while (all.Jobs.Count < s.Limit)
        {
            var r = await client.ListJobsAsync(req, c.Options(ct));
            all.Jobs.Add(r.Jobs.Take(s.Limit - all.Jobs.Count));
            if (string.IsNullOrEmpty(r.NextPageToken)) break;
            req.PageToken = r.NextPageToken;
        }
        var o = Output(s);
        if (o.Json) { o.WriteJson(all); return ExitCodes.Ok; }
        var t = Table("id", "kind", "state", "#progress", "created (UTC)", "message");
        foreach (var j in all.Jobs)
            t.AddRow(E(j.JobId), E(j.Kind), Parse.Short(j.State), Pct(j.Progress),
                j.CreatedAt?.ToDateTime().ToString("yyyy-MM-dd HH:mm:ss") ?? "", E(j.Message));
        o.Write(t);
        return ExitCodes.Ok;
    }
}

public sealed class JobIdSettings : GlobalSettings
{
    [CommandArgument(0, "<JOB_ID>")]
    [Description("The job's id (platform jobs list)")]
    public string JobId { get; init; } = "";
}

/// <summary>platform jobs watch ID: a progress bar until the job finishes; --json prints each snapshot.</summary>
public sealed class WatchJobCommand(CliEnvironment env) : PlatformCommand<JobIdSettings>(env)
{
    protected override async Task<int> RunAsync(Connection c, JobIdSettings s, CancellationToken ct)
    {
        var o = Output(s);
        var job = await JobWatcher.WatchAsync(c, Env, s.JobId, o.Json, ct,
            o.Json ? j => o.WriteJson(new WatchJobResponse { Job = j }) : null);
        if (!o.Json)
            o.Line($"job {E(job.JobId)} ({E(job.Kind)}): {Parse.Short(job.State)} {E(job.Message)}");
        if (job.State != JobState.Succeeded) Env.Error.WriteLine(JobWatcher.Failure(job));
        return JobWatcher.ExitCode(job);
    }
}

public sealed class CancelJobSettings : GlobalSettings
{
    [CommandArgument(0, "<JOB_ID>")]
    [Description("The job's id")]
    public string JobId { get; init; } = "";

    [CommandOption("--reason <TEXT>")]
    [Description("Why (kept with the job)")]
    public string? Reason { get; init; }
}

/// <summary>platform jobs cancel ID.</summary>
public sealed class CancelJobCommand(CliEnvironment env) : PlatformCommand<CancelJobSettings>(env)
{
    protected override async Task<int> RunAsync(Connection c, CancelJobSettings s, CancellationToken ct)
    {
        var r = await new JobService.JobServiceClient(c.Invoker).CancelJobAsync(
            new CancelJobRequest { JobId = s.JobId, Reason = s.Reason ?? "" }, c.Options(ct));
        var o = Output(s);
        if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
        o.Line($"job {E(r.Job.JobId)}: {Parse.Short(r.Job.State)} {E(r.Job.Message)}");
        return ExitCodes.Ok;
    }
}
