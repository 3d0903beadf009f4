using Platform.Modeling.Errors;

namespace TrainingCost.Domain;

/// <summary>The checks of <see cref="TrainingEstimator"/>: run inputs, and why no plan fits.</summary>
public sealed partial class TrainingEstimator
{
    /// <summary>Rejects bad run inputs, naming the request field.</summary>
    public static void Validate(TrainingRunSpec spec)
    {
        if (!(spec.TrainingTokens > 0))
            throw new InvalidFieldException("training_tokens", $"must be positive (got {spec.TrainingTokens})");
        if (spec.SequenceLength <= 0)
            throw new InvalidFieldException("sequence_length", $"must be positive (got {spec.SequenceLength})");
        if (spec.AcceleratorCount <= 0)
            throw new InvalidFieldException("cluster.count", $"must be positive (got {spec.AcceleratorCount})");
        if (string.IsNullOrWhiteSpace(spec.Accelerator))
            throw new InvalidFieldException("cluster.accelerator", "is required, e.g. 'h800'");
        if (spec.GlobalBatchTokens < 0) throw new InvalidFieldException("global_batch_tokens", "must not be negative");
        if (spec.GlobalBatchTokens > 0 && spec.GlobalBatchTokens < spec.SequenceLength)
            throw new InvalidFieldException("global_batch_tokens",
                $"must hold at least one sequence ({spec.SequenceLength} tokens)");
        if (spec.PricePerAcceleratorHour < 0)
            throw new InvalidFieldException("price_per_accelerator_hour_usd", "must not be negative");
        var r = spec.Reliability;
        if (r.MtbfHoursPerAccelerator <= 0)
            throw new InvalidFieldException("reliability.mtbf_hours_per_accelerator", "must be positive");
        if (r.RestartHours < 0) throw new InvalidFieldException("reliability.restart_hours", "must not be negative");
        if (r.CheckpointWriteGBpsPerAccelerator <= 0)
            throw new InvalidFieldException("reliability.checkpoint_write_gbps_per_accelerator", "must be positive");
        if (r.CheckpointIntervalHours < 0)
            throw new InvalidFieldException("reliability.checkpoint_interval_hours", "must not be negative");
        if (!(r.EvaluationFraction >= 0 && r.EvaluationFraction < 1))
            throw new InvalidFieldException("reliability.evaluation_fraction", "must be at least 0 and below 1");
        if (!(r.ProductionOverheadFraction >= 0 && r.ProductionOverheadFraction < 1))
            throw new InvalidFieldException("reliability.production_overhead_fraction",
                "must be at least 0 and below 1");
        var e = spec.Energy;
        if (e.Pue < 1) throw new InvalidFieldException("energy.pue", $"must be at least 1 (got {e.Pue})");
        if (e.ServerOverhead < 1)
            throw new InvalidFieldException("energy.server_overhead", $"must be at least 1 (got {e.ServerOverhead})");
        if (e.GridKgCo2PerKwh < 0)
            throw new InvalidFieldException("energy.grid_kg_co2_per_kwh", "must not be negative");
        if (e.AcceleratorWatts < 0) throw new InvalidFieldException("energy.accelerator_watts", "must not be negative");
    }

    private static string ReasonKind(string group) => group switch
    {
        var s when s.StartsWith("out of memory") => "out of memory",
        var s when s.StartsWith("TP ") => "TP does not divide the heads",
        var s when s.StartsWith("PP ") => "PP exceeds the layers",
        var s when s.StartsWith("fewer micro-batches") => "fewer micro-batches than pipeline stages",
        var s when s.StartsWith("batch too small") => "data parallel × micro-batch exceeds the batch",
        var s => s,
    };

    /// <summary>
    /// Why no plan fits. When no layout of this many accelerators exists at all (every split into TP × CP × PP × DP
    /// broke a structural rule before memory was looked at), say so and which rules; otherwise the reason a real
    /// candidate failed (memory, batch), from the one with the most model parallelism.
    /// </summary>
    private static string WhyNoPlan(PlanSearchResult r, TrainingRunSpec spec)
    {
        string where = $"{spec.Model.Name} on {spec.AcceleratorCount:N0} × {spec.Accelerator}";
        var candidates = r.Rejected.Where(x => !Structural(x.Group)).ToList();
        if (candidates.Count > 0)
        {
            var largest = candidates.OrderBy(x => x.Plan.PipelineParallel * x.Plan.TensorParallel).Last();
            return $"no parallel plan fits {where}: {largest.Reason}";
        }
        string rules = string.Join("; ", r.RejectionCounts.OrderByDescending(kv => kv.Value)
            .Select(kv => $"{kv.Key} ({kv.Value:N0})"));
        return $"no parallel layout of {where} exists: every split of {spec.AcceleratorCount:N0} accelerators into "
            + $"TP × CP × PP × DP breaks a rule of the model ({(rules.Length > 0 ? rules : "no candidates")}); "
            + "choose a count that factors into TP dividing the heads and PP within the layers";
    }

    private static bool Structural(string reason) => reason.StartsWith("TP ", StringComparison.Ordinal)
        || reason.StartsWith("PP ", StringComparison.Ordinal);
}
