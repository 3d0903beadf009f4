using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Jobs;

namespace Platform.ServiceDefaults.Jobs;

/// <summary>
/// At start, brings the stored jobs in line (<see cref="JobStore.Recover"/>). With the in-memory transport nothing
/// delivers a job's work again after a restart, so jobs left queued or running fail saying the host restarted; with
/// RabbitMQ the broker redelivers an unacknowledged job to an instance, which runs it, so they are left as they are.
/// </summary>
public sealed class JobRecoveryService(JobStore jobs, IConfiguration configuration, ILogger<JobRecoveryService> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        bool redelivered = BusExtensions.UsesRabbitMq(configuration);
        var (failed, retained) = jobs.Recover(failUnfinished: !redelivered, cancellationToken);
        logger.LogInformation(
            "Stored jobs recovered: {Failed} unfinished job(s) failed, {Retained} finished job(s) retained "
            + "(unfinished jobs left for redelivery: {Redelivered})", failed, retained, redelivered);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
