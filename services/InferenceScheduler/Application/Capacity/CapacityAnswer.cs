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
internal sealed class CapacityAnswer(CapacityContext context, LayoutOutcome[] outcomes, List<InvalidLayout> invalid)
{
    /// <summary>The layout that came closest when none meets: its max replicas, simulated at the target rate.</summary>
    public sealed record Miss(SimulatedLayout Probe, int Replicas, double MaxRate);

    public PlanCapacityResponse Response()
    {
        var response = new PlanCapacityResponse
        {
            TargetRequestsPerSecond = context.Workload.Target,
            RateMultiplier = context.Workload.MultiplierAt(context.Workload.Target),
            SloAttainment = context.Target.Attainment,
            Simulations = outcomes.Sum(o => (long)(o.Search?.Simulations ?? 0)),
        };
        var options = outcomes.Where(o => o.Search is { Verdict: LayoutVerdict.Meets })
            .Select(o => Option(o.Probe, o.Search!.Replicas, o.Search.MaxRatePerReplica, o.Search.Verified!))
            .OrderBy(o => o.CostPerHourUsd).ThenBy(o => o.AcceleratorCount).ThenByDescending(o => o.SloAttainment)
            .ThenBy(o => o.Layout, StringComparer.Ordinal)
            .ToList();
        response.Options.AddRange(options);
        response.BestPerAccelerator.AddRange(options.DistinctBy(o => o.Deployment.Accelerator));
        response.SloMet = options.Count > 0;
        foreach (var o in outcomes.Where(o => o.Rejection != CapacityRejection.Unspecified))
            response.Rejected.Add(new RejectedCandidate
            {
                Deployment = o.Probe.Layout.Deployment(context.Request.Deployment, 1), Reason = o.Rejection,
                Detail = o.Detail, Layout = o.Probe.Layout.Label,
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
    public Miss? Closest(int maxAccelerators) => outcomes
        .Where(o => o.Search is { Verdict: not LayoutVerdict.Meets })
        .Select(o => (o, n: Math.Max(1, maxAccelerators / o.Probe.Layout.AcceleratorsPerReplica)))
        .OrderByDescending(x => x.o.Search!.BestAttainment)
        .ThenBy(x => x.n * x.o.Probe.Layout.CostPerReplicaHour)
        .Select(x => new Miss(x.o.Probe, x.n, x.o.Search!.MaxRatePerReplica))
        .FirstOrDefault();

    public CapacityOption Option(SimulatedLayout probe, int replicas, double maxRate, SimulationResult run)
    {
        var layout = probe.Layout;
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
