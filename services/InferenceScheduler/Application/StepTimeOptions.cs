using InferenceScheduler.Domain.Timing;
using Platform.Contracts.Inference.V1;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Application;

/// <summary>
/// The request's time model: a <see cref="Constant"/> step-time model, or (null) the emulator profile with its host-side
/// step overhead and whether communication overlaps compute.
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
            if (c.PrefillSecondsPerToken < 0 || double.IsNaN(c.PrefillSecondsPerToken)) throw new InvalidFieldException("time_model.constant.prefill_seconds_per_token", "must not be negative");
            if (c.DecodeSecondsPerStep < 0 || double.IsNaN(c.DecodeSecondsPerStep)) throw new InvalidFieldException("time_model.constant.decode_seconds_per_step", "must not be negative");
            if (c.StepOverheadSeconds < 0 || double.IsNaN(c.StepOverheadSeconds)) throw new InvalidFieldException("time_model.constant.step_overhead_seconds", "must not be negative");
            if (c.PrefillSecondsPerToken + c.DecodeSecondsPerStep + c.StepOverheadSeconds <= 0)
                throw new InvalidFieldException("time_model.constant", "needs a positive prefill, decode or overhead time");
            constant = new ConstantStepTimeModel(c.PrefillSecondsPerToken, c.DecodeSecondsPerStep, c.StepOverheadSeconds);
        }
        else if (time?.KindCase == TimeModel.KindOneofCase.Emulator)
        {
            if (time.Emulator.StepOverheadSeconds < 0) throw new InvalidFieldException("time_model.emulator.step_overhead_seconds", "must not be negative");
            if (time.Emulator.StepOverheadSeconds > 0) overhead = time.Emulator.StepOverheadSeconds;
            overlap = time.Emulator.OverlapCommunication;
        }
        return new StepTimeOptions(constant, overhead, overlap);
    }
}
