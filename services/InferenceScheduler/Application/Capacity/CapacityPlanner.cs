using System.Diagnostics;
using InferenceScheduler.Domain.Capacity;
using InferenceScheduler.Domain.Serving;
using InferenceScheduler.Infrastructure;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Mapping;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Application.Capacity;

/// <summary>
/// Runs the searches of a plan's layouts (their labels, by index) and hands each report to <c>report</c> as it comes
/// back (in any order, possibly more than once); returns when every layout has been reported.
/// </summary>
public delegate Task LayoutSearches(IReadOnlyList<string> labels, Action<LayoutReport> report, CancellationToken ct);

/// <summary>A plan's layouts, expanded and bounded (<see cref="CapacityPlanner.PrepareAsync"/>).</summary>
internal sealed record PreparedPlan(CapacityContext Context, List<CandidateLayout> Valid, List<InvalidLayout> Invalid,
    int MaxAccelerators);

/// <summary>
/// Serving capacity planning: expands the candidate lists into layouts, checks the plan's bounds before any work,
/// runs every layout's <see cref="LayoutSearch"/> in parallel on all cores (observing the call's cancellation), and
/// assembles the options cheapest first (<see cref="CapacityAnswer"/>). The request's shape has been checked by
/// <see cref="Validation.PlanCapacityRequestValidator"/>.
/// </summary>
public sealed class CapacityPlanner(SimulationPlanner planner, EmulatorProfiles emulator)
{
    /// <summary>
    /// Plans in this process: every layout's search in parallel on all cores, then the answer.
    /// </summary>
    /// <param name="progress">Told each layout's report as it arrives (layouts searched, best option so far).</param>
    public Task<PlanCapacityResponse> PlanAsync(PlanCapacityRequest req, CancellationToken ct,
        IProgress<CapacityTally>? progress = null) => PlanAsync(req, null, ct, progress);

    /// <summary>
    /// Plans with the layouts' searches run by <paramref name="search"/> (e.g. the inference fleet over the bus; in
    /// this process when null). Whatever runs them and in whatever order their reports come back, the answer is the
    /// same: it is assembled from the reports by layout index.
    /// </summary>
    public async Task<PlanCapacityResponse> PlanAsync(PlanCapacityRequest req, LayoutSearches? search,
        CancellationToken ct, IProgress<CapacityTally>? progress = null)
    {
        var sw = Stopwatch.StartNew();
        var plan = await PrepareAsync(req, ct);
        var tally = new CapacityTally(plan.Valid.Count);
        if (search is null)
        {
            var options = new ParallelOptions
            {
                MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct,
            };
            await Parallel.ForEachAsync(Enumerable.Range(0, plan.Valid.Count), options, async (i, c) =>
            {
                if (tally.Add(await SearchAsync(plan, i, c))) progress?.Report(tally);
            });
        }
        else
        {
            await search(plan.Valid.Select(l => l.Label).ToList(), r =>
            {
                if (tally.Add(r)) progress?.Report(tally);
            }, ct);
        }
        var reports = tally.Reports();
        var answer = new CapacityAnswer(plan.Context, plan.Valid, reports, plan.Invalid);
        var response = answer.Response();
        if (!response.SloMet && answer.Closest(plan.MaxAccelerators) is { } closest)
        {
            var probe = new SimulatedLayout(planner, plan.Context, plan.Valid[closest.Index]);
            var r = await probe.SimulateAsync(closest.Replicas, plan.Context.Workload.Target, 0, ct);
            response.Closest = answer.Option(probe.Layout, closest.Replicas, closest.MaxRate, r.Result!);
            response.Simulations++;
        }
        response.CandidateLayouts = plan.Valid.Count + plan.Invalid.Count;
        response.WallSeconds = sw.Elapsed.TotalSeconds;
        response.Notes.Add($"{plan.Valid.Count} layout(s) searched" +
                           (search is null ? $" on {Environment.ProcessorCount} core(s)" : " by the inference fleet") +
                           $"; {plan.Invalid.Count} did not suit the model");
        return response;
    }

    /// <summary>
    /// The plan's layouts, expanded and bounded: the same list, in the same order, wherever it is prepared.
    /// </summary>
    internal async Task<PreparedPlan> PrepareAsync(PlanCapacityRequest req, CancellationToken ct)
    {
        var model = ModelSpecMapper.Resolve(req.Model, "model");
        var workload = CapacityWorkload.Read(req.Workload, req.TargetRequestsPerSecond);
        double attainment = req.SloAttainment == 0 ? CapacityLimits.DefaultAttainment : req.SloAttainment;
        int maxAccelerators = req.MaxAccelerators == 0 ? CapacityLimits.DefaultMaxAccelerators : req.MaxAccelerators;
        var accelerators = new List<AcceleratorInfo>();
        for (int i = 0; i < req.Candidates.Accelerators.Count; i++)
            accelerators.Add(await emulator.GetAcceleratorAsync(req.Candidates.Accelerators[i],
                $"candidates.accelerators[{i}]", ct));

        var poolAccelerators = new Dictionary<string, AcceleratorInfo>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < req.Candidates.Disaggregation.Count; i++)
            foreach (var (id, name) in new[]
                     {
                         (req.Candidates.Disaggregation[i].PrefillAccelerator, "prefill_accelerator"),
                         (req.Candidates.Disaggregation[i].DecodeAccelerator, "decode_accelerator"),
                     })
                if (!string.IsNullOrWhiteSpace(id))
                    poolAccelerators[id.Trim()] = await emulator.GetAcceleratorAsync(id,
                        $"candidates.disaggregation[{i}].{name}", ct);

        long combinations = CandidateLayouts.Count(req.Candidates, model, accelerators);
        if (combinations > CapacityLimits.MaxCandidateLayouts)
            throw new LimitExceededException("candidates",
                $"the lists give {combinations:N0} candidate layouts; one plan tries at most " +
                $"{CapacityLimits.MaxCandidateLayouts}", combinations, CapacityLimits.MaxCandidateLayouts);
        var (valid, invalid) = CandidateLayouts.Expand(req.Candidates, model, accelerators, req.AcceleratorHourUsd,
            poolAccelerators);
        if (valid.Count == 0)
        {
            var first = invalid[0];
            throw new InvalidFieldException(first.Field,
                $"no candidate layout suits the model ({invalid.Count} tried); {first.Reason}");
        }
        CheckBounds(valid, maxAccelerators, workload.Requests);
        var context = new CapacityContext(req, workload, new CapacityTarget(workload.Target, attainment, 0));
        return new PreparedPlan(context, valid, invalid, maxAccelerators);
    }

    /// <summary>The plan's simulation and request bounds, from the worst case of every layout's search.</summary>
    private static void CheckBounds(List<CandidateLayout> layouts, int maxAccelerators, long requests)
    {
        long simulations = layouts.Sum(l =>
            (long)LayoutSearch.MaxSimulations(Math.Max(1, maxAccelerators / l.AcceleratorsPerReplica)));
        if (simulations > CapacityLimits.MaxSimulationsPerPlan)
            throw new LimitExceededException("candidates",
                $"{layouts.Count} layouts with up to {maxAccelerators} accelerators may need {simulations:N0} " +
                $"simulations; one plan runs at most {CapacityLimits.MaxSimulationsPerPlan:N0} (fewer candidates " +
                "or a lower max_accelerators)", simulations, CapacityLimits.MaxSimulationsPerPlan);
        double simulated = (double)simulations * requests;
        if (simulated > CapacityLimits.MaxSimulatedRequestsPerPlan)
            throw new LimitExceededException("workload",
                $"{simulations:N0} simulations of {requests:N0} requests may simulate {simulated:G3} requests; " +
                $"one plan simulates at most {CapacityLimits.MaxSimulatedRequestsPerPlan:G3} (set " +
                "workload.max_requests or try fewer candidates)", simulated,
                CapacityLimits.MaxSimulatedRequestsPerPlan);
    }

    /// <summary>One layout's whole search (the unit a worker runs), as a report the answer is assembled from.
    /// </summary>
    internal async Task<LayoutReport> SearchAsync(PreparedPlan plan, int index, CancellationToken ct)
    {
        var layout = plan.Valid[index];
        var context = plan.Context;
        int perReplica = layout.AcceleratorsPerReplica;
        int maxReplicas = plan.MaxAccelerators / perReplica;
        if (maxReplicas < 1)
            return LayoutReport.Rejected(index, CapacityRejection.NeedsMoreThanMaxAccelerators,
                $"one replica uses {perReplica} accelerators, more than max_accelerators {plan.MaxAccelerators}");
        var probe = new SimulatedLayout(planner, context, layout);
        var search = new LayoutSearch(probe, context.Target with { MaxReplicas = maxReplicas });
        try
        {
            var r = await search.RunAsync(ct);
            var (rejection, detail) = r.Verdict switch
            {
                LayoutVerdict.Meets => (CapacityRejection.Unspecified, r.Detail),
                LayoutVerdict.MissesWhenIdle => (CapacityRejection.MissesSloWhenIdle, r.Detail),
                _ => (CapacityRejection.NeedsMoreThanMaxAccelerators,
                    $"more than {maxReplicas} replicas ({plan.MaxAccelerators} accelerators) needed: {r.Detail}"),
            };
            var option = r.Verdict == LayoutVerdict.Meets
                ? new CapacityAnswer(context, plan.Valid, [], plan.Invalid)
                    .Option(layout, r.Replicas, r.MaxRatePerReplica, r.Verified!)
                : null;
            return new LayoutReport(index, rejection, detail, r.Verdict, r.Replicas, r.MaxRatePerReplica,
                r.BestAttainment, r.Simulations, option);
        }
        catch (PreconditionFailedException e)
        {
            return LayoutReport.Rejected(index, CapacityRejection.DoesNotFit, $"{e.Field}: {e.Reason}");
        }
        catch (PlatformException e) when (e is InvalidFieldException or LimitExceededException
                                          && e.Field.StartsWith("deployment", StringComparison.Ordinal))
        {
            return LayoutReport.Rejected(index, CapacityRejection.InvalidLayout, $"{e.Field}: {e.Reason}");
        }
    }
}
