using InferenceScheduler.Application.Capacity;
using InferenceScheduler.Application.Validation;
using MassTransit;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Mapping;
using Platform.Contracts.Messaging;
using Platform.Jobs;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Validation;

namespace InferenceScheduler.Messaging.Fleet;

/// <summary>
/// Runs one probe of a distributed capacity plan (<see cref="RunCapacityProbe"/>: one layout's whole search) and
/// publishes its result (<see cref="CapacityProbeCompleted"/>). Competing consumers on one durable queue, at most
/// <see cref="CapacityFleetOptions.ProbeConcurrency"/> at a time and no more prefetched; the message is acknowledged
/// when the search has finished, so an instance killed mid-probe has its probes redelivered to another. A probe of a
/// job that has ended is skipped, and one running stops when its job ends. A plan's layouts are prepared once per
/// instance (<see cref="CapacityFleet.PreparedPlans"/>).
/// </summary>
public sealed class CapacityProbeConsumer(CapacityPlanner planner, CapacityFleet fleet, JobStore jobs,
    ILogger<CapacityProbeConsumer> logger) : IConsumer<RunCapacityProbe>
{
    public async Task Consume(ConsumeContext<RunCapacityProbe> context)
    {
        var m = context.Message;
        if (Skipped(m.JobId))
        {
            logger.LogInformation("Capacity probe {Index} of job {JobId} skipped: the job has ended", m.Index,
                m.JobId);
            return;
        }
        logger.LogInformation("Capacity probe {Index} of job {JobId} started ({Layout})", m.Index, m.JobId,
            m.Label);
        using var run = fleet.StartProbe(m.JobId, context.CancellationToken);
        CapacityProbeCompleted result;
        try
        {
            var plan = await fleet.PreparedPlans.GetOrAdd(m.JobId, () => PrepareAsync(m.PlanJson, run.Token));
            if (plan.Valid.Count != m.Layouts || m.Index < 0 || m.Index >= m.Layouts
                || plan.Valid[m.Index].Label != m.Label)
                throw new PreconditionFailedException("candidates",
                    $"instance {BusExtensions.InstanceId} expands the plan into {plan.Valid.Count} layouts, not the " +
                    $"{m.Layouts} of the instance running it (do their accelerator catalogs differ?)");
            var report = await planner.SearchAsync(plan, m.Index, run.Token);
            result = CapacityFleet.Completed(m.JobId, report, BusExtensions.InstanceId);
            logger.LogInformation("Capacity probe {Index} of job {JobId} done: {Simulations} simulations", m.Index,
                m.JobId, report.Simulations);
        }
        catch (OperationCanceledException) when (Skipped(m.JobId))
        {
            logger.LogInformation("Capacity probe {Index} of job {JobId} stopped: the job has ended", m.Index,
                m.JobId);
            return;
        }
        catch (PlatformException e) when (e is not DependencyUnavailableException)
        {
            result = new CapacityProbeCompleted
            {
                JobId = m.JobId, Index = m.Index, ErrorCode = e.StatusName, ErrorField = e.Field,
                ErrorReason = e.Reason, Worker = BusExtensions.InstanceId,
            };
        }
        await context.Publish(result, CancellationToken.None);
    }

    private bool Skipped(Guid jobId) => fleet.Ended(jobId) || (jobs.TryGet(jobId, out var j) && j.Finished);

    private async Task<PreparedPlan> PrepareAsync(string planJson, CancellationToken ct)
    {
        var plan = ProtoJson.Parse<PlanCapacityRequest>(planJson, "plan");
        InferenceValidators.Capacity.ThrowIfInvalid(plan);
        return await planner.PrepareAsync(plan, ct);
    }
}
