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
        double trainingHours = 54 * 24 * 0.9;
        var r = ReliabilityModel.Estimate(new ReliabilityOptions(), 16384, 7.1, trainingHours);
        Assert.InRange(r.Goodput, 0.90, 0.95);
        Assert.InRange(r.ExpectedInterruptions, 419 * 0.9, 419 * 1.1);
    }

    [Fact]
    public void Goodput_is_failures_checkpoints_and_evaluation_together()
    {
        var o = new ReliabilityOptions(EvaluationFraction: 0.05);
        var r = ReliabilityModel.Estimate(o, 4096, 20, 1000);
        Assert.Equal((1 - r.FailureLossFraction) / (1 + r.CheckpointFraction) * 0.95, r.Goodput, 1e-12);
        var without = ReliabilityModel.Estimate(o with { EvaluationFraction = 0 }, 4096, 20, 1000);
        Assert.Equal(without.Goodput * 0.95, r.Goodput, 1e-12);
        // Each failure loses half an interval plus the restart: (τ/2 + R)/M.
        Assert.Equal((r.CheckpointIntervalHours / 2 + o.RestartHours) / r.ClusterMtbfHours, r.FailureLossFraction,
            1e-12);
    }

    [Fact]
    public void Evaluation_fraction_outside_0_to_1_is_rejected_naming_the_field()
    {
        var spec = new TrainingRunSpec
        {
            Model = Platform.Modeling.ModelPresets.Get("llama-3.1-8b").Architecture, TrainingTokens = 1e12,
            SequenceLength = 4096, Accelerator = "h100-sxm", AcceleratorCount = 8,
            Reliability = new ReliabilityOptions(EvaluationFraction: 1),
        };
        var e = Assert.Throws<Platform.Modeling.Errors.InvalidFieldException>(() => TrainingEstimator.Validate(spec));
        Assert.Equal("reliability.evaluation_fraction", e.Field);
    }
}
