namespace InferenceScheduler.Domain.Capacity;

/// <summary>
/// Bounds of one capacity plan, checked before any simulation runs (docs/API.md, Limits).
/// </summary>
public static class CapacityLimits
{
    /// <summary>Most candidate layouts (the product of the candidate lists) one plan tries.</summary>
    public const int MaxCandidateLayouts = 256;

    /// <summary>Values one candidate list may hold.</summary>
    public const int MaxListValues = 64;

    /// <summary>Default and largest <c>max_accelerators</c>.</summary>
    public const int DefaultMaxAccelerators = 64, MaxAccelerators = 4096;

    /// <summary>Bound on the simulations of one plan: layouts × <see cref="LayoutSearch.MaxSimulations"/>.</summary>
    public const int MaxSimulationsPerPlan = 8192;

    /// <summary>
    /// Bound on the requests one plan simulates: the simulation bound × the workload's requests (about 100,000
    /// requests are simulated per core-second, so this bounds a plan to minutes).
    /// </summary>
    public const long MaxSimulatedRequestsPerPlan = 200_000_000;

    /// <summary>Default share of requests that must meet every SLO (DistServe's convention).</summary>
    public const double DefaultAttainment = 0.9;
}
