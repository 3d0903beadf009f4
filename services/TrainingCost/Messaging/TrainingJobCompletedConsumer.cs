using Google.Protobuf;
using MassTransit;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messaging;
using Platform.Contracts.Training.V1;
using Platform.Jobs;

namespace TrainingCost.Messaging;

/// <summary>
/// Brings the outcome of a job that another instance ran back to the instance that accepted it, so GetJob and
/// WatchJob there see it finish. Every instance receives the event (own temporary queue); instances that do not
/// know the job, or already finished it themselves, ignore it.
/// </summary>
public sealed class TrainingJobCompletedConsumer(JobStore jobs, ILogger<TrainingJobCompletedConsumer> logger)
    : IConsumer<TrainingJobCompleted>
{
    public Task Consume(ConsumeContext<TrainingJobCompleted> context)
    {
        var done = context.Message;
        if (!jobs.TryGet(done.JobId, out var job) || job.Finished) return Task.CompletedTask;
        if (done.Succeeded && done.ResultJson is { } json)
        {
            IMessage result = done.Kind == "plan"
                ? JsonParser.Default.Parse<PlanParallelismResponse>(json)
                : JsonParser.Default.Parse<TrainingEstimate>(json);
            jobs.Update(done.JobId, j =>
                j with { Status = JobStatus.Succeeded, Progress = 1, Message = "done", Result = result });
        }
        else
        {
            jobs.Update(done.JobId, j => j with
            {
                Status = JobStatus.Failed,
                Message = "failed",
                ErrorField = done.ErrorField,
                ErrorReason = done.ErrorReason,
            });
        }
        logger.LogInformation("Training job {JobId} finished on another instance (succeeded: {Succeeded})", done.JobId,
            done.Succeeded);
        return Task.CompletedTask;
    }
}
