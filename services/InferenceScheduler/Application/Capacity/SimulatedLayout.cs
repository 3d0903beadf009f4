using InferenceScheduler.Domain.Capacity;
using InferenceScheduler.Domain.Simulation;
using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Application.Capacity;

/// <summary>
/// The simulations of one candidate layout, each planned by <see cref="SimulationPlanner"/> from the
/// SimulateWorkloadRequest a caller would send (the layout's deployment, the workload at the rate, the plan's model,
/// SLOs and time model), so a verified option is exactly what SimulateWorkload answers for it.
/// </summary>
internal sealed class SimulatedLayout(SimulationPlanner planner, CapacityContext plan, CandidateLayout layout)
    : ILayoutProbe
{
    public CandidateLayout Layout => layout;

    public SimulateWorkloadRequest Request(int replicas, double rate) => new()
    {
        Model = plan.Request.Model,
        Deployment = layout.Deployment(plan.Request.Deployment, replicas),
        Workload = plan.Workload.At(rate),
        Slo = plan.Request.Slo,
        TimeModel = plan.Request.TimeModel,
    };

    public async Task<ProbeRun> SimulateAsync(int replicas, double ratePerSecond, double stopBelow,
        CancellationToken ct)
    {
        var p = await planner.PlanAsync(Request(replicas, ratePerSecond), plan.Workload.Rows, ct);
        long total = p.Workload.CountKnown ? p.Workload.ExpectedRequests : 0;
        long allowed = ProbeRun.AllowedMisses(total, stopBelow), misses = 0;
        try
        {
            return ProbeRun.Of(new Simulator(p.Setup).Run(p.Workload, o =>
            {
                if (!o.MetSlo && ++misses > allowed) throw new AttainmentDecided();
            }, ct));
        }
        catch (AttainmentDecided)
        {
            return new ProbeRun((double)(total - misses) / total, null);
        }
    }

    /// <summary>Stops a run whose attainment can no longer reach the target.</summary>
    private sealed class AttainmentDecided : Exception;

    public async Task<SimulationResult> SimulateIdleAsync(CancellationToken ct)
    {
        var p = await planner.PlanAsync(Request(1, plan.Workload.Target), plan.Workload.Rows, ct);
        return new Simulator(p.Setup).Run(new IdleSource(p.Workload, LayoutSearch.IdleRequests), null, ct);
    }
}

/// <summary>What every layout of one plan shares.</summary>
internal sealed record CapacityContext(PlanCapacityRequest Request, CapacityWorkload Workload, CapacityTarget Target);
