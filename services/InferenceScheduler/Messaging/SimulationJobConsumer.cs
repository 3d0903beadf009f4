using System.Diagnostics;
using InferenceScheduler.Application;
using InferenceScheduler.Application.Validation;
using InferenceScheduler.Domain.Simulation;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Mapping;
using Platform.Contracts.Messaging;
using Platform.Jobs;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Validation;

namespace InferenceScheduler.Messaging;

/// <summary>
/// Runs one queued simulation (<see cref="RunSimulationJob"/>, from SubmitSimulationJob) as a job of the shared job
/// model: progress is the share of the workload's requests simulated, the result (the SimulateWorkloadResponse
/// SimulateWorkload would answer) is stored with the job. A job cancelled by a caller stops its run; the host stopping
/// fails it saying so. Idempotent on the job id: a finished job is not run again.
/// </summary>
public sealed class SimulationJobConsumer(JobStore jobs, SimulationPlanner planner,
    ILogger<SimulationJobConsumer> logger, IHostApplicationLifetime? lifetime = null) : IConsumer<RunSimulationJob>
{
    /// <summary>The job kind of a simulation.</summary>
    public const string Kind = "simulation";

    public async Task Consume(ConsumeContext<RunSimulationJob> context)
    {
        var cmd = context.Message;
        if (!jobs.Adopt(cmd.JobId, Kind) && jobs.TryGet(cmd.JobId, out var done) && done.Finished) return;
        var stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        using var work = jobs.StartRun(cmd.JobId, 0.01, context.CancellationToken, stopping);
        try
        {
            var request = ProtoJson.Parse<SimulateWorkloadRequest>(cmd.RequestJson, "simulation");
            InferenceValidators.Simulate.ThrowIfInvalid(request);
            var plan = await planner.PlanAsync(request, null, work.Token);
            long total = plan.Workload.CountKnown ? plan.Workload.ExpectedRequests : 0;
            var progress = jobs.ProgressOf(cmd.JobId);
            long completed = 0, step = Math.Max(1, total / 100);
            var sw = Stopwatch.StartNew();
            var result = await Task.Run(() => new Simulator(plan.Setup).Run(plan.Workload, _ =>
            {
                if (total > 0 && ++completed % step == 0) progress.Report((double)completed / total);
            }, work.Token), work.Token);
            var response = SimulationResponses.ToProto(result, sw.Elapsed.TotalSeconds, plan.Notes);
            jobs.Update(cmd.JobId, j =>
                j with { Status = JobStatus.Succeeded, Progress = 1, Message = "done", Result = response });
            logger.LogInformation("Simulation job {JobId}: {Requests} requests in {Wall:F1} s", cmd.JobId,
                result.CompletedRequests, sw.Elapsed.TotalSeconds);
        }
        catch (PlatformException e) when (e is not DependencyUnavailableException)
        {
            jobs.Update(cmd.JobId, j => j with
            {
                Status = JobStatus.Failed,
                Message = "failed",
                ErrorField = e.Field,
                ErrorReason = e.Reason,
                ErrorCode = e.StatusName,
            });
        }
        catch (OperationCanceledException) when (work.Token.IsCancellationRequested)
        {
            if (!work.CancelledByCaller)
                jobs.Update(cmd.JobId, j => j with
                {
                    Status = JobStatus.Failed,
                    Message = "stopped",
                    ErrorCode = "Unavailable",
                    ErrorReason = "the inference service stopped before the simulation finished; submit it again",
                });
        }
    }
}
