using Google.Protobuf;
using Grpc.Core;
using InferenceScheduler.Application.Validation;
using InferenceScheduler.Messaging;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Messaging;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Security;
using Platform.ServiceDefaults.Validation;

namespace InferenceScheduler.Grpc;

public sealed partial class InferenceSchedulerGrpcService
{
    /// <summary>
    /// Checks the plan's shape (fields named under "plan"), records a queued "capacity-plan" job and hands it to the
    /// bus; with the bus unreachable nothing is recorded and the call answers Unavailable.
    /// </summary>
    [Authorize(Policy = PlatformScopes.WritePolicy)]
    public override async Task<SubmitCapacityPlanResponse> SubmitCapacityPlan(SubmitCapacityPlanRequest request,
        ServerCallContext context)
    {
        if (request.Plan is null) throw new InvalidFieldException("plan", "is required");
        try { InferenceValidators.Capacity.ThrowIfInvalid(request.Plan); }
        catch (PlatformException e) { throw e.Under("plan"); }
        bus.ThrowIfUnreachable();
        var job = await jobs.QueueAsync(CapacityPlanConsumer.Kind, (id, ct) => bus.PublishAsync(new RunCapacityPlan
        {
            JobId = id, PlanJson = JsonFormatter.Default.Format(request.Plan),
        }, ct), context.CancellationToken);
        log.LogInformation("Capacity plan job {JobId} queued", job.Id);
        return new SubmitCapacityPlanResponse { JobId = job.Id.ToString() };
    }

    /// <summary>
    /// Checks the run's shape (fields named under "simulation"), records a queued "simulation" job and hands it to
    /// the bus; with the bus unreachable nothing is recorded and the call answers Unavailable.
    /// </summary>
    [Authorize(Policy = PlatformScopes.WritePolicy)]
    public override async Task<SubmitSimulationJobResponse> SubmitSimulationJob(SubmitSimulationJobRequest request,
        ServerCallContext context)
    {
        if (request.Simulation is null) throw new InvalidFieldException("simulation", "is required");
        try { InferenceValidators.Simulate.ThrowIfInvalid(request.Simulation); }
        catch (PlatformException e) { throw e.Under("simulation"); }
        bus.ThrowIfUnreachable();
        var job = await jobs.QueueAsync(SimulationJobConsumer.Kind, (id, ct) => bus.PublishAsync(new RunSimulationJob
        {
            JobId = id, RequestJson = JsonFormatter.Default.Format(request.Simulation),
        }, ct), context.CancellationToken);
        log.LogInformation("Simulation job {JobId} queued", job.Id);
        return new SubmitSimulationJobResponse { JobId = job.Id.ToString() };
    }
}
