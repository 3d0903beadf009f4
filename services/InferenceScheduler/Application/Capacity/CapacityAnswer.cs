using InferenceScheduler.Domain.Capacity;
using InferenceScheduler.Domain.Simulation;
using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Application.Capacity;

/// <summary>
/// The answer of a plan: an option per layout that meets the attainment, cheapest first (ties: fewer accelerators,
/// higher attainment, then the layout's name), the cheapest per accelerator, and every rejected layout with its reason.
/// Cost per hour = Σ accelerators × their accelerator-hour price; cost per million output tokens = cost per hour ×
/// 1e6 ÷ (3600 × target rate × mean output tokens per request of the verifying run).
/// </summary>
internal sealed class CapacityAnswer(CapacityContext context, List<CandidateLayout> layouts, LayoutReport[] reports,
    List<InvalidLayout> invalid)
{
    /// <summary>The layout that came closest when none meets: its max replicas, simulated at the target rate.</summary>
    public sealed record Miss(int Index, int Replicas, double MaxRate);

    /// <summary>The answer's order of options: cheaper, then fewer accelerators, higher attainment, the name.
    /// </summary>
    public static readonly IComparer<CapacityOption> Order = Comparer<CapacityOption>.Create((a, b) =>
    {
        int c = a.CostPerHourUsd.CompareTo(b.CostPerHourUsd);
        if (c == 0) c = a.AcceleratorCount.CompareTo(b.AcceleratorCount);
        if (c == 0) c = b.SloAttainment.CompareTo(a.SloAttainment);
        return c != 0 ? c : string.CompareOrdinal(a.Layout, b.Layout);
    });

    /// <summary>Whether <paramref name="a"/> comes before <paramref name="b"/> in the answer.</summary>
    public static bool Cheaper(CapacityOption a, CapacityOption b) => Order.Compare(a, b) < 0;

    public PlanCapacityResponse Response()
    {
        var response = new PlanCapacityResponse
        {
            TargetRequestsPerSecond = context.Workload.Target,
            RateMultiplier = context.Workload.MultiplierAt(context.Workload.Target),
            SloAttainment = context.Target.Attainment,
            Simulations = reports.Sum(r => (long)r.Simulations),
        };
        var options = reports.Where(r => r is { Verdict: LayoutVerdict.Meets, Option: not null })
            .Select(r => r.Option!.Clone()).OrderBy(o => o, Order).ToList();
        response.Options.AddRange(options);
        response.BestPerAccelerator.AddRange(options.DistinctBy(o => o.Deployment.Accelerator));
        response.SloMet = options.Count > 0;
        foreach (var r in reports.Where(r => r.Rejection != CapacityRejection.Unspecified))
            response.Rejected.Add(new RejectedCandidate
            {
                Deployment = layouts[r.Index].Deployment(context.Request.Deployment, 1), Reason = r.Rejection,
                Detail = r.Detail, Layout = layouts[r.Index].Label,
            });
        foreach (var i in invalid)
            response.Rejected.Add(new RejectedCandidate
            {
                Deployment = i.Layout.Deployment(context.Request.Deployment, 1),
                Reason = CapacityRejection.InvalidLayout, Detail = $"{i.Field}: {i.Reason}", Layout = i.Layout.Label,
            });
        return response;
    }

    /// <summary>
    /// Among layouts that ran but miss the attainment, the one whose runs came nearest it (ties: the cheaper at its
    /// most replicas), at the most replicas max_accelerators allows.
    /// </summary>
    public Miss? Closest(int maxAccelerators) => reports
        .Where(r => r.Verdict is { } v && v != LayoutVerdict.Meets)
        .Select(r => (r, n: Math.Max(1, maxAccelerators / layouts[r.Index].AcceleratorsPerReplica)))
        .OrderByDescending(x => x.r.BestAttainment)
        .ThenBy(x => x.n * layouts[x.r.Index].CostPerReplicaHour)
        .Select(x => new Miss(x.r.Index, x.n, x.r.MaxRatePerReplica))
        .FirstOrDefault();

    public CapacityOption Option(CandidateLayout layout, int replicas, double maxRate, SimulationResult run)
    {
        int count = replicas * layout.AcceleratorsPerReplica;
        double perHour = replicas * layout.CostPerReplicaHour;
        double meanOutput = run.CompletedRequests > 0 ? (double)run.OutputTokens / run.CompletedRequests : 0;
        double tokensPerHour = 3600 * context.Workload.Target * meanOutput;
        return new CapacityOption
        {
            Deployment = layout.Deployment(context.Request.Deployment, replicas),
            AcceleratorCount = count,
            MaxRequestsPerSecondPerReplica = maxRate,
            SloAttainment = run.SloAttainment,
            Goodput = run.Goodput,
            TtftP50Ms = run.TtftMs.P50,
            TtftP99Ms = run.TtftMs.P99,
            TpotP50Ms = run.TpotMs.P50,
            TpotP99Ms = run.TpotMs.P99,
            CostPerHourUsd = perHour,
            CostPerMillionOutputTokensUsd = tokensPerHour > 0 ? perHour * 1e6 / tokensPerHour : 0,
            Layout = layout.Label,
            MeetsSlo = run.SloAttainment >= context.Target.Attainment,
        };
    }
}
