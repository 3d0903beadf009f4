namespace TrainingCost.Domain;

/// <summary>Where one optimizer step's time goes on the critical path, seconds.</summary>
public sealed record StepBreakdown
{
    public double ComputeSeconds { get; init; }
    public double TensorParallelSeconds { get; init; }
    public double ContextParallelExposedSeconds { get; init; }
    public double ContextParallelOverlappedSeconds { get; init; }
    public double ExpertParallelExposedSeconds { get; init; }
    public double ExpertParallelOverlappedSeconds { get; init; }
    public double PipelineP2pSeconds { get; init; }
    public double DataParallelExposedSeconds { get; init; }
    public double DataParallelOverlappedSeconds { get; init; }
    public double BubbleSeconds { get; init; }
    public double OptimizerSeconds { get; init; }
    public int MicroBatches { get; init; }
    public long GlobalBatchSequences { get; init; }

    public double StepSeconds =>
        ComputeSeconds + TensorParallelSeconds + ContextParallelExposedSeconds + ExpertParallelExposedSeconds
        + PipelineP2pSeconds + DataParallelExposedSeconds + BubbleSeconds + OptimizerSeconds;
    public double ExposedCommunicationSeconds =>
        TensorParallelSeconds + ContextParallelExposedSeconds + ExpertParallelExposedSeconds
        + PipelineP2pSeconds + DataParallelExposedSeconds;
    public double OverlappedCommunicationSeconds =>
        ContextParallelOverlappedSeconds + ExpertParallelOverlappedSeconds + DataParallelOverlappedSeconds;
}
