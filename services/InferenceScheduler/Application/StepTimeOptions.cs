using InferenceScheduler.Domain.Timing;
using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Application;

/// <summary>
/// The request's time model: a <see cref="Constant"/> step-time model, or (null) the emulator profile with its
/// host-side step overhead and whether communication overlaps compute. Its numbers have been checked by
/// <see cref="Validation.TimeModelValidator"/>.
/// </summary>
internal sealed record StepTimeOptions(IStepTimeModel? Constant, double OverheadSeconds, bool Overlap)
{
    public static StepTimeOptions Read(TimeModel? time)
    {
        IStepTimeModel? constant = null;
        double overhead = SimulationPlanner.DefaultStepOverheadSeconds;
        bool overlap = false;
        if (time?.KindCase == TimeModel.KindOneofCase.Constant)
        {
            var c = time.Constant;
            constant = new ConstantStepTimeModel(c.PrefillSecondsPerToken, c.DecodeSecondsPerStep,
                c.StepOverheadSeconds);
        }
        else if (time?.KindCase == TimeModel.KindOneofCase.Emulator)
        {
            if (time.Emulator.StepOverheadSeconds > 0) overhead = time.Emulator.StepOverheadSeconds;
            overlap = time.Emulator.OverlapCommunication;
        }
        return new StepTimeOptions(constant, overhead, overlap);
    }
}
