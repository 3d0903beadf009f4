using Google.Protobuf;
using MassTransit;
using Microsoft.Extensions.Logging;
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
/// <see cref="TrainingJobCompleted"/>. Idempotent on the job id: a redelivered finished job is not rerun.
/// </summary>
public sealed class TrainingJobConsumer(JobStore jobs, TrainingEstimator estimator, ILogger<TrainingJobConsumer> logger)
    : IConsumer<RunTrainingJob>
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    public async Task Consume(ConsumeContext<RunTrainingJob> context)
    {
        var cmd = context.Message;
        if (jobs.Adopt(cmd.JobId, cmd.Kind))
            logger.LogInformation("Training job {JobId} was accepted by another instance; running it here", cmd.JobId);
        else if (jobs.TryGet(cmd.JobId, out var job) && job.Finished)
        {
            logger.LogInformation("Skipping training job {JobId}: already finished", cmd.JobId);
            return;
        }
        jobs.Update(cmd.JobId, j => j with { Status = JobStatus.Running, Message = "running", Progress = 0.05 });
        var progress = new Progress(jobs, cmd.JobId);
        try
        {
            var run = Parser.Parse<Platform.Contracts.Training.V1.TrainingRunSpec>(cmd.RunSpecJson);
            TrainingValidators.Run.ThrowIfInvalid(run);
            var spec = TrainingProtoMapping.ToDomain(run);
            IMessage result = cmd.Kind == "plan"
                ? TrainingProtoMapping.ToProto(await estimator.SearchAsync(spec, cmd.TopK > 0 ? cmd.TopK : 5,
                    context.CancellationToken, progress))
                : TrainingProtoMapping.ToProto(await estimator.EstimateAsync(spec, context.CancellationToken,
                    progress));
            jobs.Update(cmd.JobId, j =>
                j with { Status = JobStatus.Succeeded, Progress = 1, Message = "done", Result = result });
            logger.LogInformation("Training job {JobId} ({Kind}) succeeded", cmd.JobId, cmd.Kind);
            await context.Publish(new TrainingJobCompleted
            {
                JobId = cmd.JobId, Kind = cmd.Kind, Succeeded = true, ResultJson = JsonFormatter.Default.Format(result),
            });
        }
        catch (Exception e) when (e is PlatformException or InvalidProtocolBufferException)
        {
            // The job was submitted as a request whose run field is this spec: name fields as the client sees them.
            string field = e is PlatformException p ? p.Under(TrainingProtoMapping.RunField).Field
                : TrainingProtoMapping.RunField;
            string reason = e is PlatformException q ? q.Reason : e.Message;
            jobs.Update(cmd.JobId, j =>
                j with { Status = JobStatus.Failed, Message = "failed", ErrorField = field, ErrorReason = reason });
            logger.LogInformation("Training job {JobId} failed on {Field}: {Reason}", cmd.JobId, field, reason);
            await context.Publish(new TrainingJobCompleted
            {
                JobId = cmd.JobId, Kind = cmd.Kind, Succeeded = false, ErrorField = field, ErrorReason = reason
            });
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

    private sealed class Progress(JobStore jobs, Guid id) : IProgress<double>
    {
        public void Report(double value) =>
            jobs.Update(id, j => j with { Progress = Math.Max(j.Progress, Math.Clamp(value, 0, 0.99)) });
    }
}
