using Google.Protobuf;
using InferenceScheduler.Application.Capacity;
using InferenceScheduler.Application.Validation;
using InferenceScheduler.Messaging.Fleet;
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
/// Runs a queued serving capacity plan (<see cref="RunCapacityPlan"/>) as a job of the shared job model: progress is
/// the share of layouts searched (the job's message: layouts and simulations done, the cheapest option so far); on
/// RabbitMQ the layouts' searches are probes the inference fleet runs (<see cref="CapacityFleet"/>); the result
/// (the PlanCapacityResponse) is stored with the job, and <see cref="CapacityPlanCompleted"/> is published when it
/// ends. A job cancelled by a caller stops its search; the host stopping fails it saying so. Idempotent on the job
/// id: a finished job is not run again.
/// </summary>
public sealed class CapacityPlanConsumer(JobStore jobs, CapacityPlanner planner, ILogger<CapacityPlanConsumer> logger,
    CapacityFleet? fleet = null, IHostApplicationLifetime? lifetime = null) : IConsumer<RunCapacityPlan>
{
    /// <summary>The job kind of a capacity plan.</summary>
    public const string Kind = "capacity-plan";

    public async Task Consume(ConsumeContext<RunCapacityPlan> context)
    {
        var cmd = context.Message;
        if (!jobs.Adopt(cmd.JobId, Kind) && jobs.TryGet(cmd.JobId, out var done) && done.Finished)
        {
            await PublishAsync(context, done);
            return;
        }
        var stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        JobSnapshot end;
        using (var work = jobs.StartRun(cmd.JobId, 0.01, context.CancellationToken, stopping))
        {
            try
            {
                var plan = ProtoJson.Parse<PlanCapacityRequest>(cmd.PlanJson, "plan");
                InferenceValidators.Capacity.ThrowIfInvalid(plan);
                var searches = fleet is { Distributed: true } ? fleet.Searches(cmd.JobId, cmd.PlanJson, context) : null;
                logger.LogInformation("Capacity plan job {JobId} started ({Where})", cmd.JobId,
                    searches is null ? "in this process" : "probes on the inference fleet");
                var result = await planner.PlanAsync(plan, searches, work.Token, new Progress(jobs, cmd.JobId));
                end = jobs.Update(cmd.JobId, j =>
                    j with { Status = JobStatus.Succeeded, Progress = 1, Message = "done", Result = result });
                logger.LogInformation("Capacity plan job {JobId}: {Options} options, {Simulations} simulations",
                    cmd.JobId, result.Options.Count, result.Simulations);
            }
            catch (PlatformException e) when (e is not DependencyUnavailableException)
            {
                end = jobs.Update(cmd.JobId, j => j with
                {
                    Status = JobStatus.Failed,
                    Message = "failed",
                    ErrorField = e.Field,
                    ErrorReason = e.Reason,
                    ErrorCode = e.StatusName,
                });
            }
            catch (FleetFailure e)
            {
                logger.LogWarning("Capacity plan job {JobId} failed: {Reason}", cmd.JobId, e.Reason);
                end = jobs.Update(cmd.JobId, j => j with
                {
                    Status = JobStatus.Failed,
                    Message = "failed",
                    ErrorField = e.Field,
                    ErrorReason = e.Reason,
                    ErrorCode = e.Code,
                });
            }
            catch (OperationCanceledException) when (work.Token.IsCancellationRequested)
            {
                end = work.CancelledByCaller
                    ? jobs.Get(cmd.JobId)
                    : jobs.Update(cmd.JobId, j => j with
                    {
                        Status = JobStatus.Failed,
                        Message = "stopped",
                        ErrorCode = "Unavailable",
                        ErrorReason = "the inference service stopped before the plan finished; submit it again",
                    });
            }
        }
        await PublishAsync(context, end);
    }

    /// <summary>
    /// The job's progress: the share of layouts searched, and as its message the layouts and simulations done and the
    /// cheapest option so far. A job already finished (e.g. cancelled) is left as it is.
    /// </summary>
    private sealed class Progress(JobStore jobs, Guid id) : IProgress<CapacityTally>
    {
        public void Report(CapacityTally t)
        {
            double share = Math.Clamp((double)t.Done / t.Layouts, 0, 0.99);
            string message = t.Describe();
            jobs.Update(id, j => j.Finished ? j : j with { Progress = Math.Max(j.Progress, share), Message = message });
        }
    }

    private static Task PublishAsync(ConsumeContext<RunCapacityPlan> context, JobSnapshot job)
    {
        bool ok = job.Status == JobStatus.Succeeded;
        return context.Publish(new CapacityPlanCompleted
        {
            JobId = job.Id, Succeeded = ok,
            ResultJson = ok && job.Result is IMessage m ? JsonFormatter.Default.Format(m) : null,
            ErrorField = ok ? null : job.ErrorField, ErrorReason = ok ? null : job.ErrorReason ?? job.Message,
        }, CancellationToken.None);
    }
}
