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
    /// its arrivals scaled to a mean of <paramref name="ratePerSecond"/> (lengths unchanged). The run may stop as soon
    /// as its attainment is known to fall below <paramref name="stopBelow"/> (0 = never stops early).
    /// </summary>
    Task<ProbeRun> SimulateAsync(int replicas, double ratePerSecond, double stopBelow, CancellationToken ct);

    /// <summary>One replica serving the first requests of the workload one at a time (see <see cref="IdleSource"/>).
    /// </summary>
    Task<SimulationResult> SimulateIdleAsync(CancellationToken ct);
}

/// <summary>
/// A probe's outcome: <see cref="Result"/> is the whole run, or null when it stopped once more requests had missed
/// the SLOs than the attainment allows; <see cref="Attainment"/> is then the share of all requests not (yet) known to
/// miss, an upper bound below the target.
/// </summary>
public readonly record struct ProbeRun(double Attainment, SimulationResult? Result)
{
    public static ProbeRun Of(SimulationResult r) => new(r.SloAttainment, r);

    /// <summary>
    /// Most requests of <paramref name="total"/> that may miss while the attainment still reaches
    /// <paramref name="target"/>, in the arithmetic <see cref="SimulationResult.SloAttainment"/> uses.
    /// </summary>
    public static long AllowedMisses(long total, double target)
    {
        if (total <= 0 || target <= 0) return long.MaxValue;
        long m = Math.Clamp((long)Math.Floor((1 - target) * total), 0, total);
        while (m < total && (double)(total - (m + 1)) / total >= target) m++;
        while (m >= 0 && (double)(total - m) / total < target) m--;
        return m;
    }
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
/// the layout meets the attainment); <see cref="BestAttainment"/> the highest attainment its runs under load reached
/// (the idle run's when that is the only one): how close a layout that misses came.
/// </summary>
public sealed record LayoutSearchResult(
    LayoutVerdict Verdict, int Replicas, double MaxRatePerReplica, SimulationResult? Verified, double BestAttainment,
    int Simulations, string Detail);
