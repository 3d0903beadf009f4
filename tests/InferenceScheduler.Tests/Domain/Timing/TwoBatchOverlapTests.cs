using InferenceScheduler.Domain.Serving;
using InferenceScheduler.Domain.Timing;
using Platform.Modeling;

namespace InferenceScheduler.Tests.Domain.Timing;

public sealed class TwoBatchOverlapTests
{
    private static readonly double[] Grid = [1, 1e6];

    private static Table Line(double secondsPerToken) => new(Grid, [secondsPerToken, secondsPerToken * 1e6]);
    private static readonly Table Zero = new(Grid, [0, 0]);

    /// <summary>Layer ops and communication proportional to tokens (<paramref name="attention"/> and
    /// <paramref name="ffn"/> seconds per token of compute, <paramref name="dispatch"/> and <paramref name="combine"/>
    /// of communication), no head or attention core.</summary>
    private static ProfiledStepTimeModel Linear(double attention, double ffn, double dispatch, double combine,
        int layers, OverlapSchedule schedule) =>
        new(Line(attention + ffn), Line(dispatch + combine), Zero, Zero, Zero, 0, true, "test")
        {
            Schedule = schedule, FfnLinear = Line(ffn), SecondCommunication = Line(combine), Layers = layers,
        };

    private static StepShape Decode(int sequences) => new() { DecodeSequences = sequences };

    [Fact]
    public void One_layer_is_the_hand_drawn_schedule()
    {
        // compute aA aB eA eB hA hB, communication dA dB kA kB, B one piece behind A.
        double a = 3, d = 1, e = 2, k = 4, h = 0.5;
        double byHand = a + Math.Max(a, d) + Math.Max(e, d) + Math.Max(e, k) + Math.Max(h, k) + h;
        Assert.Equal(byHand, TwoBatchOverlap.PipelineSeconds(a, d, e, k, h, 1), 12);
    }

    [Fact]
    public void Balanced_linear_pieces_cost_ideal_overlap_plus_one_unhidden_piece_in_four_layers()
    {
        // Compute equals communication and both halve exactly with the batch: only the first piece is not hidden.
        const int layers = 10;
        var ideal = Linear(1e-4, 1e-4, 1e-4, 1e-4, layers, OverlapSchedule.Ideal);
        var twoBatch = Linear(1e-4, 1e-4, 1e-4, 1e-4, layers, OverlapSchedule.TwoBatch);
        double idealStep = ideal.StepSeconds(Decode(100));
        Assert.Equal(0.02, idealStep, 12);
        Assert.Equal(idealStep * (1 + 1.0 / (4 * layers)), twoBatch.StepSeconds(Decode(100)), 12);
    }

    [Fact]
    public void Imbalanced_pieces_are_not_hidden_and_the_step_falls_between_ideal_and_serial()
    {
        // Attention-side compute 3x the FFN side, dispatch 3x the combine: the same totals as the balanced case, but
        // concurrent pieces differ, so two-batch overlap cannot reach max(compute, communication).
        var ideal = Linear(1.5e-4, 0.5e-4, 0.5e-4, 1.5e-4, 10, OverlapSchedule.Ideal).StepSeconds(Decode(100));
        var serial = new ProfiledStepTimeModel(Line(2e-4), Line(2e-4), Zero, Zero, Zero, 0, false, "test")
            .StepSeconds(Decode(100));
        var twoBatch = Linear(1.5e-4, 0.5e-4, 0.5e-4, 1.5e-4, 10, OverlapSchedule.TwoBatch).StepSeconds(Decode(100));
        Assert.True(twoBatch > ideal * 1.1 && twoBatch < serial, $"{ideal} < {twoBatch} < {serial}");
    }

    [Fact]
    public void A_single_token_cannot_be_split_and_runs_compute_then_communication()
    {
        var m = Linear(1e-4, 1e-4, 1e-4, 1e-4, 10, OverlapSchedule.TwoBatch);
        Assert.Equal(4e-4, m.StepSeconds(Decode(1)), 12);
    }

    [Fact]
    public void Deepseek_profile_splits_each_moe_layer_at_its_dispatch()
    {
        var model = ModelPresets.Get("deepseek-v3").Architecture;
        var plan = new StepProfilePlan(model, new Parallelism(1, 1, 1, 16, 16), NumberFormat.Fp8, NumberFormat.Bf16,
            1.0, 8);
        Assert.Equal(61, plan.Layers); // 3 dense + 58 MoE layers
        var first = plan.Ops.Where(o => o.Point == 0).ToList();
        Assert.All(first.Where(o => o.Op.Name == "combine_all_to_all"), o => Assert.True(o.AfterFirstCollective));
        Assert.All(first.Where(o => o.Op.Name == "dispatch_all_to_all"), o => Assert.False(o.AfterFirstCollective));
        Assert.All(first.Where(o => o.Op.Name is "experts_gate_up" or "shared_down"),
            o => Assert.True(o.AfterFirstCollective));
        Assert.All(first.Where(o => o.Op.Name is "q_a_proj" or "router"), o => Assert.False(o.AfterFirstCollective));

        var m = plan.Build(Enumerable.Repeat(1e-5, plan.Ops.Count).ToArray(), 0, true, "test",
            schedule: OverlapSchedule.TwoBatch);
        Assert.Equal(OverlapSchedule.TwoBatch, m.Schedule);
        // Half of the all-to-all time is the combine (one dispatch and one combine per MoE layer).
        Assert.Equal(m.Communication.At(256) / 2, m.SecondCommunication!.At(256), 12);
        Assert.InRange(m.FfnLinear!.At(256), 0.1 * m.Linear.At(256), 0.9 * m.Linear.At(256));
    }
}
