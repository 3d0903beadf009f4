using InferenceScheduler.Domain.Timing;
using Platform.Contracts.Inference.V1;

namespace InferenceScheduler.Application;

/// <summary>
/// The request's time model: a <see cref="Constant"/> step-time model, or (null) the emulator profile with its
/// host-side step overhead, whether communication overlaps compute and how (two-batch overlap implies overlap). Its
/// numbers have been checked by <see cref="Validation.TimeModelValidator"/>.
/// </summary>
internal sealed record StepTimeOptions(IStepTimeModel? Constant, double OverheadSeconds, bool Overlap,
    Domain.Timing.OverlapSchedule Schedule = Domain.Timing.OverlapSchedule.Ideal)
{
    public static StepTimeOptions Read(TimeModel? time)
    {
        IStepTimeModel? constant = null;
        double overhead = SimulationPlanner.DefaultStepOverheadSeconds;
        bool overlap = false;
        var schedule = Domain.Timing.OverlapSchedule.Ideal;
        if (time?.KindCase == TimeModel.KindOneofCase.Constant)
        {
            var c = time.Constant;
            constant = new ConstantStepTimeModel(c.PrefillSecondsPerToken, c.DecodeSecondsPerStep,
                c.StepOverheadSeconds);
        }
        else if (time?.KindCase == TimeModel.KindOneofCase.Emulator)
        {
            if (time.Emulator.StepOverheadSeconds > 0) overhead = time.Emulator.StepOverheadSeconds;
            if (time.Emulator.OverlapSchedule == Platform.Contracts.Inference.V1.OverlapSchedule.TwoBatch)
                schedule = Domain.Timing.OverlapSchedule.TwoBatch;
            overlap = time.Emulator.OverlapCommunication || schedule == Domain.Timing.OverlapSchedule.TwoBatch;
        }
        return new StepTimeOptions(constant, overhead, overlap, schedule);
    }
}
