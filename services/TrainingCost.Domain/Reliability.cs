namespace TrainingCost.Domain;

/// <summary>Failures, checkpoints and evaluation over a run: how much wall-clock time the useful training time
/// becomes. Goodput = (1 − <see cref="FailureLossFraction"/>) / (1 + <see cref="CheckpointFraction"/>) × (1 −
/// <see cref="EvaluationFraction"/>) × (1 − <see cref="ProductionOverheadFraction"/>).</summary>
/// <param name="FailureLossFraction">Share of time lost to interruptions: half a checkpoint interval of work plus the
/// restart per failure, (τ/2 + R)/M.</param>
/// <param name="CheckpointFraction">Checkpoint writes per unit of training time, δ/τ.</param>
/// <param name="EvaluationFraction">Share of wall-clock time spent on evaluation (an input).</param>
/// <param name="ProductionOverheadFraction">Share of wall-clock time lost beyond kernels, failures and checkpoints
/// (an input, default fitted on published hours).</param>
public sealed record ReliabilityEstimate(double ClusterMtbfHours, double CheckpointSeconds,
    double CheckpointIntervalHours, double ExpectedInterruptions, double Goodput, double FailureLossFraction = 0,
    double CheckpointFraction = 0, double EvaluationFraction = 0, double ProductionOverheadFraction = 0);

/// <summary>
/// Goodput of a run: end-to-end time = step time × steps ÷ goodput. Failures and checkpoints follow the
/// first-order checkpoint/restart model (Young 1974, Daly 2006): with cluster MTBF M = MTBF per accelerator / N,
/// checkpoint write time δ and interval τ (default √(2δM)), a fraction δ/τ of time writes checkpoints and every
/// failure loses τ/2 of work plus the restart time R. Evaluation and the production overhead (stragglers, stalls,
/// rollbacks, idle gaps) take their given shares of wall-clock time.
/// Goodput = (1 − (τ/2 + R)/M) / (1 + δ/τ) × (1 − evaluation) × (1 − production overhead).
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
        double lost = Math.Min(0.95, (tau / 2 + o.RestartHours) / mtbf);
        double checkpoints = delta / tau;
        double evaluation = Math.Clamp(o.EvaluationFraction, 0, 0.95);
        double overhead = Math.Clamp(o.ProductionOverheadFraction, 0, 0.95);
        double goodput = (1 - lost) / (1 + checkpoints) * (1 - evaluation) * (1 - overhead);
        double wall = trainingHours / goodput;
        return new ReliabilityEstimate(mtbf, delta * 3600, tau, wall / mtbf, goodput, lost, checkpoints, evaluation,
            overhead);
    }
}
