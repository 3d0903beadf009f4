using InferenceScheduler.Domain.Serving;
using InferenceScheduler.Domain.Timing;
using Platform.Modeling;

namespace InferenceScheduler.Tests.Domain.Timing;

public sealed class ComputeReservationTests
{
    [Fact]
    public void DeepEP_holding_20_of_132_sms_slows_compute_by_132_over_112()
    {
        Assert.Equal(132.0 / 112, StepProfilePlan.ComputeSlowdown(132, 20), 12);
        Assert.Equal(1.0, StepProfilePlan.ComputeSlowdown(132, 0));
        Assert.Equal(1.0, StepProfilePlan.ComputeSlowdown(0, 20)); // unknown unit count: nothing to scale by
    }

    [Fact]
    public void Reserved_units_stretch_only_compute_bound_ops_and_never_communication()
    {
        var plan = new StepProfilePlan(ModelPresets.Get("deepseek-v3").Architecture, new Parallelism(1, 1, 1, 16, 16),
            NumberFormat.Fp8, NumberFormat.Bf16, 1.0, 8);
        var seconds = Enumerable.Repeat(1e-4, plan.Ops.Count).ToArray();
        // Mark compute-bound every op, the communication ops included: they must still keep their time.
        var allCompute = Enumerable.Repeat(true, plan.Ops.Count).ToArray();
        var noneCompute = new bool[plan.Ops.Count];
        var baseline = plan.Build(seconds, 0, false, "test");
        var reserved = plan.Build(seconds, 0, false, "test", allCompute, 132.0 / 112);
        var memoryBound = plan.Build(seconds, 0, false, "test", noneCompute, 132.0 / 112);

        Assert.Equal(baseline.Linear.At(8192) * 132 / 112, reserved.Linear.At(8192), 9);
        Assert.Equal(baseline.PrefillAttention.At(1e6) * 132 / 112, reserved.PrefillAttention.At(1e6), 9);
        Assert.Equal(baseline.Communication.At(8192), reserved.Communication.At(8192), 12);
        Assert.Equal(baseline.Linear.At(8192), memoryBound.Linear.At(8192), 12);
        Assert.Equal(baseline.DecodeAttention.At(1e5), memoryBound.DecodeAttention.At(1e5), 12);
    }
}
