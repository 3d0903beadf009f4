using Google.Protobuf;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Mapping;
using Platform.Contracts.Messaging;
using Platform.Contracts.Training.V1;
using Platform.Modeling.Errors;
using TrainingCost.Domain;
using Platform.Jobs;
using TrainingCost.Mapping;
using Platform.ServiceDefaults.Validation;
using TrainingCost.Mapping.Validation;

namespace TrainingCost.Messaging;

/// <summary>
/// Runs a queued estimate or plan search, reporting progress to the <see cref="JobStore"/> and publishing
/// <see cref="TrainingJobCompleted"/>. Idempotent on the job id: a redelivered finished job is not rerun. A job runs
/// to completion whether or not anyone watches it; its work observes the message's cancellation, the job being
/// cancelled (platform.jobs.v1.JobService/CancelJob) and the host stopping, and a job the host stops under fails with
/// a message saying so (so it never stays "running"). The completion event says how the job ended as stored: a job
/// cancelled meanwhile is reported cancelled even if its work got to the end.
/// </summary>
public sealed class TrainingJobConsumer(JobStore jobs, TrainingEstimator estimator, ILogger<TrainingJobConsumer> logger,
    IHostApplicationLifetime? lifetime = null) : IConsumer<RunTrainingJob>
{
    /// <summary>Why a job the host stopped under failed.</summary>
    public const string StoppedReason = "the training service stopped before the job finished; submit it again";

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
            await PublishOutcomeAsync(context, job);
            return;
        }
        if (cmd.TopK is < 0 or > 100) // the same range as SubmitPlanJob's top_k (a field beside the run)
        {
            await FailAsync(context, "top_k", $"must be 0–100 (got {cmd.TopK})");
            return;
        }
        var stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        using var work = jobs.StartRun(cmd.JobId, 0.05, context.CancellationToken, stopping);
        logger.LogInformation("Training job {JobId} ({Kind}) started (delivery {Delivery})", cmd.JobId, cmd.Kind,
            context.ReceiveContext.Redelivered ? "redelivered" : "first");
        var ct = work.Token;
        var progress = jobs.ProgressOf(cmd.JobId);
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
            var done = jobs.Update(cmd.JobId, j =>
                j with { Status = JobStatus.Succeeded, Progress = 1, Message = "done", Result = result });
            if (ReferenceEquals(done.Result, result))
                logger.LogInformation("Training job {JobId} ({Kind}) succeeded", cmd.JobId, cmd.Kind);
            else // another instance (a redelivery) or a caller's cancellation finished it first: that outcome stands
                logger.LogInformation("Training job {JobId} ({Kind}) was finished elsewhere first ({State})",
                    cmd.JobId, cmd.Kind, done.Status);
            await PublishOutcomeAsync(context, done);
        }
        catch (PlatformException e) when (!IsDatabaseOutage(e))
        {
            // The job was submitted as a request whose run field is this spec: name fields as the client sees them.
            await FailAsync(context, e.Under(TrainingProtoMapping.RunField).Field, e.Reason);
        }
        catch (OperationCanceledException) when (work.CancelledByCaller)
        {
            logger.LogInformation("Training job {JobId} cancelled by a caller", cmd.JobId);
            await PublishOutcomeAsync(context, jobs.Get(cmd.JobId), CancellationToken.None);
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
            // The host is stopping: the job ends here rather than staying "running". A redelivered message finds it
            // finished and is not rerun.
            var stopped = jobs.Update(cmd.JobId, j => j with
            {
                Status = JobStatus.Failed,
                Message = "cancelled: " + StoppedReason,
                ErrorReason = StoppedReason,
                ErrorCode = "Unavailable",
            });
            logger.LogWarning("Training job {JobId} stopped: the host is stopping", cmd.JobId);
            try
            {
                await PublishOutcomeAsync(context, stopped, CancellationToken.None);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogWarning(e, "Could not publish the end of training job {JobId}", cmd.JobId);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && !IsDatabaseOutage(e))
        {
            // Not the caller's fault (e.g. the emulator is unreachable): fail the job rather than leave it running.
            logger.LogError(e, "Training job {JobId} failed unexpectedly", cmd.JobId);
            await PublishOutcomeAsync(context, jobs.Update(cmd.JobId, j => j with
            {
                Status = JobStatus.Failed,
                Message = "internal error; see the service log",
                ErrorReason = "internal error",
                ErrorCode = "Internal",
            }));
        }
    }

    /// <summary>
    /// The job's state could not be saved: not the job's fault. It leaves Consume, so the bus retries the message
    /// (<see cref="TrainingJobConsumerDefinition"/>) and the job runs again once the database answers, rather than
    /// failing on a "database" field or staying "running" unsaved.
    /// </summary>
    internal static bool IsDatabaseOutage(Exception e) =>
        e is DependencyUnavailableException { Field: TrainingJobConsumerDefinition.Database };

    /// <summary>Fails the job on <paramref name="field"/> (named as in the submit request), saying so on the bus.
    /// </summary>
    private async Task FailAsync(ConsumeContext<RunTrainingJob> context, string field, string reason)
    {
        var cmd = context.Message;
        var job = jobs.Update(cmd.JobId, j => j with
        {
            Status = JobStatus.Failed,
            Message = "failed",
            ErrorField = field,
            ErrorReason = reason,
            ErrorCode = "InvalidArgument",
        });
        logger.LogInformation("Training job {JobId} failed on {Field}: {Reason}", cmd.JobId, field, reason);
        await PublishOutcomeAsync(context, job);
    }

    /// <summary>Publishes <see cref="TrainingJobCompleted"/> saying how the job ended, as the store holds it.</summary>
    private async Task PublishOutcomeAsync(ConsumeContext<RunTrainingJob> context, JobSnapshot job,
        CancellationToken? ct = null)
    {
        var cmd = context.Message;
        bool ok = job.Status == JobStatus.Succeeded;
        await context.Publish(new TrainingJobCompleted
        {
            JobId = cmd.JobId, Kind = cmd.Kind, Succeeded = ok,
            ResultJson = ok && job.Result is IMessage m ? JsonFormatter.Default.Format(m) : null,
            ErrorField = ok ? null : job.ErrorField, ErrorReason = ok ? null : job.ErrorReason ?? job.Message,
        }, ct ?? context.CancellationToken);
    }
}

/// <summary>
/// Retries a training job whose state the platform database could not save, for about two minutes
/// (<see cref="DatabaseRetryIntervals"/>). Past that the message faults to the queue's _error queue, from which an
/// operator can move it back once the database answers; its job stays as last saved until then.
/// </summary>
public sealed class TrainingJobConsumerDefinition : ConsumerDefinition<TrainingJobConsumer>
{
    /// <summary>The dependency Platform.Persistence names when the database cannot be reached.</summary>
    public const string Database = "database";

    /// <summary>The waits between attempts while the database is unavailable (2 min 0 s in all).</summary>
    public static readonly TimeSpan[] DatabaseRetryIntervals =
        [.. new[] { 1, 2, 4, 8, 15, 30, 30, 30 }.Select(s => TimeSpan.FromSeconds(s))];

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TrainingJobConsumer> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.UseMessageRetry(r => RetryWhileDatabaseIsDown(r, DatabaseRetryIntervals));

    /// <summary>Retries only a database outage, at these intervals.</summary>
    public static void RetryWhileDatabaseIsDown(IRetryConfigurator retry, TimeSpan[] intervals)
    {
        retry.Handle<DependencyUnavailableException>(e => e.Field == Database);
        retry.Intervals(intervals);
    }
}
