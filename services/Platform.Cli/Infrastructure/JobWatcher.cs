using Grpc.Core;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Jobs.V1;
using Spectre.Console;

namespace Platform.Cli.Infrastructure;

/// <summary>Follows a job with JobService.WatchJob: a progress bar on a terminal, progress lines otherwise.</summary>
public static class JobWatcher
{
    public static bool Finished(JobState s) =>
        s is JobState.Succeeded or JobState.Failed or JobState.Cancelled;

    /// <summary>
    /// Streams the job's snapshots until it finishes; each one is also handed to <paramref name="onSnapshot"/>.
    /// Returns the last snapshot.
    /// </summary>
    public static async Task<Job> WatchAsync(Connection c, CliEnvironment env, string jobId, bool quiet,
        CancellationToken ct, Action<Job>? onSnapshot = null)
    {
        var client = new JobService.JobServiceClient(c.Invoker);
        Job? last = null;
        async Task Follow(Action<Job> show)
        {
            using var call = client.WatchJob(new WatchJobRequest { JobId = jobId }, Connection.Streaming(ct));
            await foreach (var r in call.ResponseStream.ReadAllAsync(ct))
            {
                last = r.Job;
                show(r.Job);
                onSnapshot?.Invoke(r.Job);
                if (Finished(r.Job.State)) break;
            }
        }
        if (env.Interactive && !quiet)
        {
            await env.ErrorConsole.Progress().AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn())
                .StartAsync(async p =>
                {
                    var task = p.AddTask($"job {jobId[..Math.Min(8, jobId.Length)]}", maxValue: 1.0);
                    await Follow(j =>
                    {
                        task.Value = j.Progress;
                        task.Description = $"{j.Kind} {Markup.Escape(j.Message)}";
                    });
                    task.Value = 1.0;
                });
        }
        else
        {
            int lastStep = -1;
            JobState lastState = JobState.Unspecified;
            await Follow(j =>
            {
                int step = (int)Math.Floor(j.Progress * 10);
                if (quiet || (step == lastStep && j.State == lastState)) return;
                (lastStep, lastState) = (step, j.State);
                env.Error.WriteLine($"job {j.JobId}: {j.Progress:P0} {Parse.Short(j.State)}" +
                    (j.Message == Parse.Short(j.State) ? "" : " " + j.Message));
            });
        }
        return last ?? throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable,
            "the watch ended without a snapshot"));
    }

    /// <summary>The exit code of a finished job (its error's status for failures; 1 when cancelled).</summary>
    public static int ExitCode(Job job) => job.State switch
    {
        JobState.Succeeded => ExitCodes.Ok,
        JobState.Failed => job.Error is null ? ExitCodes.Other : ExitCodes.OfStatusName(job.Error.Code),
        _ => ExitCodes.Other,
    };

    /// <summary>One line about a job that did not succeed.</summary>
    public static string Failure(Job job) =>
        $"error: job {job.JobId} {Parse.Short(job.State)}: {job.Error?.Code} " +
        $"{(string.IsNullOrEmpty(job.Error?.Field) ? "" : job.Error!.Field + ": ")}{job.Error?.Reason}".TrimEnd();
}
