using InferenceScheduler.Domain.Metrics;
using InferenceScheduler.Domain.Simulation;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Application;

/// <summary>A simulation's result as the SimulateWorkloadResponse the RPC and the simulation job both answer.</summary>
public static class SimulationResponses
{
    public static SimulateWorkloadResponse ToProto(SimulationResult r, double wall, IReadOnlyList<string> notes)
    {
        var response = new SimulateWorkloadResponse
        {
            CompletedRequests = r.CompletedRequests,
            SimulatedSeconds = r.SimulatedSeconds,
            WallSeconds = wall,
            Metrics = new ServingMetrics
            {
                TtftMs = Dist(r.TtftMs), TpotMs = Dist(r.TpotMs), ItlMs = Dist(r.ItlMs), E2EMs = Dist(r.E2eMs),
                SchedulingDelayMs = Dist(r.SchedulingDelayMs),
                RequestThroughput = r.RequestThroughput,
                InputTokenThroughput = r.InputTokenThroughput,
                OutputTokenThroughput = r.OutputTokenThroughput,
                TotalTokenThroughput = r.InputTokenThroughput + r.OutputTokenThroughput,
                Goodput = r.Goodput,
                SloAttainment = r.SloAttainment,
                Preemptions = r.Preemptions,
                TotalInputTokens = r.InputTokens,
                TotalOutputTokens = r.OutputTokens,
                PrefixCacheHitRate = r.PrefixHitRate,
                MeanKvCacheUtilization = r.MeanKvUtilization,
                PeakKvCacheUtilization = r.PeakKvUtilization,
                MeanAcceleratorUtilization = r.MeanAcceleratorUtilization,
                RecomputedTokens = r.RecomputedTokens,
                Steps = r.Steps,
                MeanRequestsInSystem = r.MeanRequestsInSystem,
            },
            Cost = new CostSummary
            {
                AcceleratorHourUsd = r.AcceleratorHours > 0 ? r.TotalUsd / r.AcceleratorHours : 0,
                AcceleratorHours = r.AcceleratorHours,
                TotalUsd = r.TotalUsd,
                UsdPerMillionInputTokens = r.InputTokens > 0 ? r.InputUsd / r.InputTokens * 1e6 : 0,
                UsdPerMillionOutputTokens = r.OutputTokens > 0 ? r.OutputUsd / r.OutputTokens * 1e6 : 0,
            },
        };
        foreach (var t in r.Timeline)
            response.Timeline.Add(new TimelinePoint
            {
                StartSeconds = t.StartSeconds, KvCacheUtilization = t.KvCacheUtilization,
                AcceleratorUtilization = t.AcceleratorUtilization,
                RunningRequests = t.Running, WaitingRequests = t.Waiting,
            });
        foreach (var p in r.Pools)
            response.Pools.Add(new PoolMetrics
            {
                Name = p.Name, Replicas = p.Instances, Accelerators = p.Accelerators,
                KvCacheTokensPerInstance = p.KvTokensPerInstance,
                WeightGbPerAccelerator = p.WeightBytesPerAccelerator / 1e9, BusyFraction = p.BusyFraction,
                InputTokensPerSecondPerNode = p.InputTokensPerSecondPerNode,
                OutputTokensPerSecondPerNode = p.OutputTokensPerSecondPerNode,
                MeanKvCacheUtilization = p.MeanKvUtilization,
            });
        response.Notes.AddRange(notes);
        return response;
    }

    private static Distribution Dist(DistributionSummary d) => new()
    {
        Mean = d.Mean, P50 = d.P50, P90 = d.P90, P99 = d.P99, Min = d.Min, Max = d.Max,
    };
}
