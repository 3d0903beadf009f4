using InferenceScheduler.Domain.Simulation;

namespace InferenceScheduler.Domain.Capacity;

/// <summary>
/// Runs the simulations the capacity search asks for one candidate layout. A "replica" is the layout's unit of scale:
/// one instance group when colocated, one prefill:decode unit when disaggregated.
/// </summary>
public interface ILayoutProbe
{
    /// <summary>
    /// <paramref name="replicas"/> replicas of the layout, behind the deployment's router, serving the workload with
    /// its arrivals scaled to a mean of <paramref name="ratePerSecond"/> (lengths unchanged).
    /// </summary>
    Task<SimulationResult> SimulateAsync(int replicas, double ratePerSecond, CancellationToken ct);

    /// <summary>One replica serving the first requests of the workload one at a time (see <see cref="IdleSource"/>).
    /// </summary>
    Task<SimulationResult> SimulateIdleAsync(CancellationToken ct);
}

/// <summary>What a layout must reach: the target mean rate, the share of requests meeting every SLO, and the most
/// replicas it may use.</summary>
public sealed record CapacityTarget(double RatePerSecond, double Attainment, int MaxReplicas);

public enum LayoutVerdict
{
    /// <summary><see cref="LayoutSearchResult.Replicas"/> replicas meet the attainment and one fewer do not.</summary>
    Meets,
    /// <summary>Requests served one at a time already miss the attainment: no replica count helps.</summary>
    MissesWhenIdle,
    /// <summary>Even <see cref="CapacityTarget.MaxReplicas"/> replicas miss the attainment.</summary>
    NeedsMoreThanMax,
}

/// <summary>
/// The outcome of one layout's search. <see cref="Verified"/> is the whole deployment's run at the target rate (when
/// the layout meets the attainment); <see cref="BestAttainment"/> the highest attainment any of its runs reached (how
/// close a layout that misses came).
/// </summary>
public sealed record LayoutSearchResult(
    LayoutVerdict Verdict, int Replicas, double MaxRatePerReplica, SimulationResult? Verified, double BestAttainment,
    int Simulations, string Detail);
