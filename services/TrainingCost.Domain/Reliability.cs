namespace TrainingCost.Domain;

/// <summary>Failures and checkpoints of a run: how much wall-clock time the useful training time becomes.</summary>
public sealed record ReliabilityEstimate(double ClusterMtbfHours, double CheckpointSeconds,
    double CheckpointIntervalHours,
    double ExpectedInterruptions, double Goodput);

/// <summary>
/// First-order checkpoint/restart model (Young 1974, Daly 2006): with cluster MTBF M = MTBF per accelerator / N,
/// checkpoint write time δ and interval τ (default √(2δM)), a fraction δ/τ of time writes checkpoints and every
/// failure loses τ/2 of work plus the restart time R. Goodput = (1 − (τ/2 + R)/M) / (1 + δ/τ).
/// </summary>
public static class ReliabilityModel
{
    public static ReliabilityEstimate Estimate(ReliabilityOptions o, int accelerators,
        double checkpointGbPerAccelerator, double trainingHours)
    {
        double mtbf = o.MtbfHoursPerAccelerator / Math.Max(1, accelerators);
        double delta = checkpointGbPerAccelerator / Math.Max(1e-6, o.CheckpointWriteGBpsPerAccelerator) / 3600.0;
        double tau = o.CheckpointIntervalHours > 0 ? o.CheckpointIntervalHours : Math.Sqrt(2 * delta * mtbf);
        tau = Math.Max(tau, delta);
        double lost = (tau / 2 + o.RestartHours) / mtbf;
        double goodput = Math.Max(0.05, 1 - lost) / (1 + delta / tau);
        double wall = trainingHours / goodput;
        return new ReliabilityEstimate(mtbf, delta * 3600, tau, wall / mtbf, goodput);
    }
}
