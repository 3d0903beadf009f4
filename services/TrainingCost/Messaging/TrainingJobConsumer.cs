using Google.Protobuf;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Mapping;
using Platform.Contracts.Messaging;
using Platform.Contracts.Training.V1;
using Platform.Modeling.Errors;
using TrainingCost.Domain;
using TrainingCost.Domain.Jobs;
using TrainingCost.Mapping;
using Platform.ServiceDefaults.Validation;
using TrainingCost.Mapping.Validation;

namespace TrainingCost.Messaging;

/// <summary>
/// Runs a queued estimate or plan search, reporting progress to the <see cref="JobStore"/> and publishing
/// <see cref="TrainingJobCompleted"/>. Idempotent on the job id: a redelivered finished job is not rerun. A job runs
/// to completion whether or not anyone watches it; its work observes the message's cancellation and the host
/// stopping, and a job the host stops under fails with a message saying so (so it never stays "running").
/// </summary>
public sealed class TrainingJobConsumer(JobStore jobs, TrainingEstimator estimator, ILogger<TrainingJobConsumer> logger,
    IHostApplicationLifetime? lifetime = null) : IConsumer<RunTrainingJob>
{
    public async Task Consume(ConsumeContext<RunTrainingJob> context)
    {
        var cmd = context.Message;
        if (jobs.Adopt(cmd.JobId, cmd.Kind))
            logger.LogInformation("Training job {JobId} was accepted by another instance; running it here", cmd.JobId);
        else if (jobs.TryGet(cmd.JobId, out var job) && job.Finished)
        {
            // Redelivered after it finished (the acknowledgement or the completion event was lost, e.g. with the
            // broker): not run again, but its outcome is announced again so listeners hear of it at least once.
            logger.LogInformation("Skipping training job {JobId}: already finished; announcing its outcome again",
                cmd.JobId);
            await context.Publish(Completed(cmd, job));
            return;
        }
        jobs.Update(cmd.JobId, j => j with { Status = JobStatus.Running, Message = "running", Progress = 0.05 });
        logger.LogInformation("Training job {JobId} ({Kind}) started (delivery {Delivery})", cmd.JobId, cmd.Kind,
            context.ReceiveContext.Redelivered ? "redelivered" : "first");
        var progress = new Progress(jobs, cmd.JobId);
        var stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stopping);
        var ct = cancel.Token;
        if (cmd.TopK is < 0 or > 100) // the same range as SubmitPlanJob's top_k (a field beside the run)
        {
            await FailAsync(context, "top_k", $"must be 0–100 (got {cmd.TopK})");
            return;
        }
        try
        {
            // Errors are named under "run" below, as in the submit request (run.model, run.cluster.count, ...).
            var run = ProtoJson.Parse<Platform.Contracts.Training.V1.TrainingRunSpec>(cmd.RunSpecJson, "");
            TrainingValidators.Run.ThrowIfInvalid(run);
            var spec = TrainingProtoMapping.ToDomain(run);
            IMessage result = cmd.Kind == "plan"
                ? TrainingProtoMapping.ToProto(await estimator.SearchAsync(spec, cmd.TopK > 0 ? cmd.TopK : 5, ct,
                    progress))
                : TrainingProtoMapping.ToProto(await estimator.EstimateAsync(spec, ct, progress));
            jobs.Update(cmd.JobId, j =>
                j with { Status = JobStatus.Succeeded, Progress = 1, Message = "done", Result = result });
            logger.LogInformation("Training job {JobId} ({Kind}) succeeded", cmd.JobId, cmd.Kind);
            await context.Publish(new TrainingJobCompleted
            {
                JobId = cmd.JobId, Kind = cmd.Kind, Succeeded = true, ResultJson = JsonFormatter.Default.Format(result),
            });
        }
        catch (PlatformException e)
        {
            // The job was submitted as a request whose run field is this spec: name fields as the client sees them.
            await FailAsync(context, e.Under(TrainingProtoMapping.RunField).Field, e.Reason);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            // The broker took the message back (its connection was lost) while the host goes on: the job is queued
            // again and the message left unacknowledged, so the broker delivers it again and an instance runs it.
            jobs.Update(cmd.JobId, j => j with
            {
                Status = JobStatus.Queued,
                Message = "queued (the message bus connection was lost; it runs again)"
            });
            logger.LogWarning("Training job {JobId} interrupted: the bus took its message back; it is redelivered",
                cmd.JobId);
            throw;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The host is stopping: the job ends here rather than staying "running" in this instance's store. A
            // redelivered message finds it finished and is not rerun.
            const string reason = "the training service stopped before the job finished; submit it again";
            jobs.Update(cmd.JobId, j => j with { Status = JobStatus.Failed, Message = "cancelled: " + reason });
            logger.LogWarning("Training job {JobId} cancelled: the host is stopping", cmd.JobId);
            try
            {
                await context.Publish(new TrainingJobCompleted
                {
                    JobId = cmd.JobId, Kind = cmd.Kind, Succeeded = false, ErrorReason = reason,
                }, CancellationToken.None);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogWarning(e, "Could not publish the cancellation of training job {JobId}", cmd.JobId);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not the caller's fault (e.g. the emulator is unreachable): fail the job rather than leave it running.
            logger.LogError(e, "Training job {JobId} failed unexpectedly", cmd.JobId);
            jobs.Update(cmd.JobId, j =>
                j with { Status = JobStatus.Failed, Message = "internal error; see the service log" });
            await context.Publish(new TrainingJobCompleted
            {
                JobId = cmd.JobId, Kind = cmd.Kind, Succeeded = false, ErrorReason = "internal error"
            });
        }
    }

    /// <summary>The completion event of a finished job, from what the store holds of it.</summary>
    private static TrainingJobCompleted Completed(RunTrainingJob cmd, TrainingJob job) => new()
    {
        JobId = cmd.JobId, Kind = cmd.Kind, Succeeded = job.Status == JobStatus.Succeeded,
        ResultJson = job.Result is IMessage m ? JsonFormatter.Default.Format(m) : null,
        ErrorField = job.ErrorField,
        ErrorReason = job.ErrorReason ?? (job.Status == JobStatus.Failed ? job.Message : null),
    };

    private sealed class Progress(JobStore jobs, Guid id) : IProgress<double>
    {
        public void Report(double value) =>
            jobs.Update(id, j => j with { Progress = Math.Max(j.Progress, Math.Clamp(value, 0, 0.99)) });
    }

    /// <summary>Fails the job on <paramref name="field"/> (named as in the submit request), saying so on the bus.
    /// </summary>
    private async Task FailAsync(ConsumeContext<RunTrainingJob> context, string field, string reason)
    {
        var cmd = context.Message;
        jobs.Update(cmd.JobId, j =>
            j with { Status = JobStatus.Failed, Message = "failed", ErrorField = field, ErrorReason = reason });
        logger.LogInformation("Training job {JobId} failed on {Field}: {Reason}", cmd.JobId, field, reason);
        await context.Publish(new TrainingJobCompleted
        {
            JobId = cmd.JobId, Kind = cmd.Kind, Succeeded = false, ErrorField = field, ErrorReason = reason
        });
    }
}
