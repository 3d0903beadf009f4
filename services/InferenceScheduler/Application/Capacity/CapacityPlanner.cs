using System.Diagnostics;
using InferenceScheduler.Domain.Capacity;
using InferenceScheduler.Domain.Serving;
using InferenceScheduler.Infrastructure;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Mapping;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Application.Capacity;

/// <summary>The search's outcome for one layout: an option, or why there is none.</summary>
internal sealed record LayoutOutcome(SimulatedLayout Probe, LayoutSearchResult? Search, CapacityRejection Rejection,
    string Detail);

/// <summary>
/// Serving capacity planning: expands the candidate lists into layouts, checks the plan's bounds before any work,
/// runs every layout's <see cref="LayoutSearch"/> in parallel on all cores (observing the call's cancellation), and
/// assembles the options cheapest first (<see cref="CapacityAnswer"/>). The request's shape has been checked by
/// <see cref="Validation.PlanCapacityRequestValidator"/>.
/// </summary>
public sealed class CapacityPlanner(SimulationPlanner planner, EmulatorProfiles emulator)
{
    /// <param name="progress">Told the share of layouts searched (0..1) as each finishes.</param>
    public async Task<PlanCapacityResponse> PlanAsync(PlanCapacityRequest req, CancellationToken ct,
        IProgress<double>? progress = null)
    {
        var sw = Stopwatch.StartNew();
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
        var outcomes = new LayoutOutcome[valid.Count];
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct,
        };
        int searched = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, valid.Count), options, async (i, c) =>
        {
            outcomes[i] = await SearchAsync(new SimulatedLayout(planner, context, valid[i]), context, maxAccelerators,
                c);
            progress?.Report((double)Interlocked.Increment(ref searched) / valid.Count);
        });
        var answer = new CapacityAnswer(context, outcomes, invalid);
        var response = answer.Response();
        if (!response.SloMet && answer.Closest(maxAccelerators) is { } closest)
        {
            var r = await closest.Probe.SimulateAsync(closest.Replicas, workload.Target, 0, ct);
            response.Closest = answer.Option(closest.Probe, closest.Replicas, closest.MaxRate, r.Result!);
            response.Simulations++;
        }
        response.CandidateLayouts = valid.Count + invalid.Count;
        response.WallSeconds = sw.Elapsed.TotalSeconds;
        response.Notes.Add($"{valid.Count} layout(s) searched on {Environment.ProcessorCount} core(s); " +
                           $"{invalid.Count} did not suit the model");
        return response;
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

    private static async Task<LayoutOutcome> SearchAsync(SimulatedLayout probe, CapacityContext context,
        int maxAccelerators, CancellationToken ct)
    {
        int perReplica = probe.Layout.AcceleratorsPerReplica;
        int maxReplicas = maxAccelerators / perReplica;
        if (maxReplicas < 1)
            return new LayoutOutcome(probe, null, CapacityRejection.NeedsMoreThanMaxAccelerators,
                $"one replica uses {perReplica} accelerators, more than max_accelerators {maxAccelerators}");
        var search = new LayoutSearch(probe, context.Target with { MaxReplicas = maxReplicas });
        try
        {
            var r = await search.RunAsync(ct);
            return r.Verdict switch
            {
                LayoutVerdict.Meets => new LayoutOutcome(probe, r, CapacityRejection.Unspecified, r.Detail),
                LayoutVerdict.MissesWhenIdle => new LayoutOutcome(probe, r, CapacityRejection.MissesSloWhenIdle,
                    r.Detail),
                _ => new LayoutOutcome(probe, r, CapacityRejection.NeedsMoreThanMaxAccelerators,
                    $"more than {maxReplicas} replicas ({maxAccelerators} accelerators) needed: {r.Detail}"),
            };
        }
        catch (PreconditionFailedException e)
        {
            return new LayoutOutcome(probe, null, CapacityRejection.DoesNotFit, $"{e.Field}: {e.Reason}");
        }
        catch (PlatformException e) when (e is InvalidFieldException or LimitExceededException
                                          && e.Field.StartsWith("deployment", StringComparison.Ordinal))
        {
            return new LayoutOutcome(probe, null, CapacityRejection.InvalidLayout, $"{e.Field}: {e.Reason}");
        }
    }
}
