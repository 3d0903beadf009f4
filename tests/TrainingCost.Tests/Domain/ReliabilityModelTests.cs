using TrainingCost.Domain;

namespace TrainingCost.Tests.Domain;

/// <summary>Goodput against the published anchors (Llama 3 paper §3.3.4) and its composition.</summary>
public sealed class ReliabilityModelTests
{
    [Fact]
    public void Llama_3_405b_keeps_more_than_90_percent_effective_training_time()
    {
        // 16,384 H100 over a 54-day snapshot: 419 unexpected interruptions and "higher than 90% effective training
        // time". Checkpoint: each rank's BF16 weights and sharded optimizer state at TP8 × PP16 × ZeRO-2, ≈ 7 GB.
        // Meta's effective training time counts downtime (interruptions, restarts, checkpoints), not slow steps, so
        // the production overhead (stragglers, stalls, idle gaps) is left out of this comparison.
        double trainingHours = 54 * 24 * 0.9;
        var r = ReliabilityModel.Estimate(new ReliabilityOptions(ProductionOverheadFraction: 0), 16384, 7.1,
            trainingHours);
        Assert.InRange(r.Goodput, 0.90, 0.95);
        Assert.InRange(r.ExpectedInterruptions, 419 * 0.9, 419 * 1.1);
    }

    [Fact]
    public void Goodput_is_failures_checkpoints_evaluation_and_production_overhead_together()
    {
        var o = new ReliabilityOptions(EvaluationFraction: 0.05, ProductionOverheadFraction: 0.1);
        var r = ReliabilityModel.Estimate(o, 4096, 20, 1000);
        Assert.Equal((1 - r.FailureLossFraction) / (1 + r.CheckpointFraction) * 0.95 * 0.9, r.Goodput, 1e-12);
        var without = ReliabilityModel.Estimate(o with { EvaluationFraction = 0 }, 4096, 20, 1000);
        Assert.Equal(without.Goodput * 0.95, r.Goodput, 1e-12);
        var noOverhead = ReliabilityModel.Estimate(o with { ProductionOverheadFraction = 0 }, 4096, 20, 1000);
        Assert.Equal(noOverhead.Goodput * 0.9, r.Goodput, 1e-12);
        Assert.Equal(0.1, r.ProductionOverheadFraction);
        // Each failure loses half an interval plus the restart: (τ/2 + R)/M.
        Assert.Equal((r.CheckpointIntervalHours / 2 + o.RestartHours) / r.ClusterMtbfHours, r.FailureLossFraction,
            1e-12);
    }

    [Theory]
    [InlineData(1, 0, "reliability.evaluation_fraction")]
    [InlineData(0, 1, "reliability.production_overhead_fraction")]
    [InlineData(0, -0.1, "reliability.production_overhead_fraction")]
    public void Fractions_outside_0_to_1_are_rejected_naming_the_field(double evaluation, double overhead,
        string field)
    {
        var spec = new TrainingRunSpec
        {
            Model = Platform.Modeling.ModelPresets.Get("llama-3.1-8b").Architecture, TrainingTokens = 1e12,
            SequenceLength = 4096, Accelerator = "h100-sxm", AcceleratorCount = 8,
            Reliability = new ReliabilityOptions(EvaluationFraction: evaluation,
                ProductionOverheadFraction: overhead),
        };
        var e = Assert.Throws<Platform.Modeling.Errors.InvalidFieldException>(() => TrainingEstimator.Validate(spec));
        Assert.Equal(field, e.Field);
    }
}
