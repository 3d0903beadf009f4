using MassTransit;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messaging;
using Platform.Jobs;

namespace Platform.ServiceDefaults.Jobs;

/// <summary>
/// Stops this instance's work on a job a caller cancelled (on any instance). Every instance receives the event (own
/// temporary queue); those not running the job ignore it.
/// </summary>
public sealed class JobCancelRequestedConsumer(JobStore jobs, ILogger<JobCancelRequestedConsumer> logger)
    : IConsumer<JobCancelRequested>
{
    public Task Consume(ConsumeContext<JobCancelRequested> context)
    {
        var m = context.Message;
        if (jobs.CancelRun(m.JobId, m.Reason))
            logger.LogInformation("Job {JobId} cancelled; its work here stops", m.JobId);
        return Task.CompletedTask;
    }
}
