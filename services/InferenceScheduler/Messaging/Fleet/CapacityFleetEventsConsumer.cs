using MassTransit;
using Platform.Contracts.Messaging;

namespace InferenceScheduler.Messaging.Fleet;

/// <summary>
/// What every inference instance hears of distributed capacity plans (own temporary queue): probe results (for the
/// instance running the plan) and the end of a plan's job (cancelled or completed), after which its probes are
/// skipped and running ones stop.
/// </summary>
public sealed class CapacityFleetEventsConsumer(CapacityFleet fleet) : IConsumer<CapacityProbeCompleted>,
    IConsumer<JobCancelRequested>, IConsumer<CapacityPlanCompleted>
{
    public Task Consume(ConsumeContext<CapacityProbeCompleted> context)
    {
        fleet.Deliver(context.Message);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<JobCancelRequested> context)
    {
        fleet.End(context.Message.JobId);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<CapacityPlanCompleted> context)
    {
        fleet.End(context.Message.JobId);
        return Task.CompletedTask;
    }
}
