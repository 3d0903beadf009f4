using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Tests.Domain.Simulation;

public sealed class SpeculativeDecodingTests
{
    [Theory]
    [InlineData(1, 0.85, 1.85)] // DeepSeek-V3's MTP: ~1.8 tokens per step (report §5.4.3)
    [InlineData(1, 0.9, 1.9)]
    [InlineData(2, 0.5, 1.75)] // 1 + 0.5 + 0.25
    [InlineData(3, 0.9, 3.439)] // 1 + 0.9 + 0.81 + 0.729
    [InlineData(4, 0, 1)] // nothing accepted: plain decoding's one token
    [InlineData(2, 1, 3)] // everything accepted: 1 + k
    public void A_step_advances_by_one_plus_the_expected_accepted_drafts(int k, double p, double byHand) =>
        Assert.Equal(byHand, new SpeculativeDecoding(k, p).ExpectedAdvance, 12);

    [Fact]
    public void Emitted_tokens_carry_the_fraction_so_n_steps_emit_the_expected_total()
    {
        var half = new SpeculativeDecoding(1, 0.5);
        double carry = 0;
        var emitted = Enumerable.Range(0, 6).Select(_ => half.Emit(ref carry)).ToArray();
        Assert.Equal([1, 2, 1, 2, 1, 2], emitted); // 1.5 tokens a step: 1, then 1 + the carried half
        var deepSeek = new SpeculativeDecoding(1, 0.85);
        carry = 0;
        int total = 0;
        for (int i = 0; i < 1000; i++) total += deepSeek.Emit(ref carry);
        Assert.InRange(total, 1849, 1850); // floor(1000 x 1.85), give or take one
    }

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(SpeculativeDecoding.MaxDraftTokens + 1, 0.5)]
    [InlineData(1, -0.1)]
    [InlineData(1, 1.1)]
    [InlineData(1, double.NaN)]
    public void Out_of_range_settings_are_refused(int k, double p) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpeculativeDecoding(k, p));

    /// <summary>One request of a 100-token prompt and 101 output tokens on constant 10 ms steps.</summary>
    private static SimulationResult One(SpeculativeDecoding? spec)
    {
        var time = new ConstantStepTimeModel(0.0001, 0.01, 0);
        var setup = Sim.Colocated(time, Sim.Vllm() with { Speculative = spec });
        return new Simulator(setup).Run(Sim.Poisson(1, 1, new FixedLength(100), new FixedLength(101)));
    }

    [Fact]
    public void Drafts_never_need_kv_past_the_requests_last_token()
    {
        // 100 + 28 tokens fill a 128-token KV cache exactly (8 blocks of 16); with 2 drafts always accepted the last
        // steps must not ask for KV beyond token 128.
        var time = new ConstantStepTimeModel(0.0001, 0.01, 0);
        var setup = Sim.Colocated(time, Sim.Vllm(prefix: false) with { Speculative = new SpeculativeDecoding(2, 1) },
            kvTokens: 128);
        var r = new Simulator(setup).Run(Sim.Poisson(1, 1, new FixedLength(100), new FixedLength(28)));
        Assert.Equal(28, r.OutputTokens);
        Assert.Equal(0, r.Preemptions);
        Assert.Equal(1 + 9, r.Steps); // prefill, then 27 tokens at 3 a step
    }

    [Fact]
    public void Steps_tokens_and_tpot_follow_the_advance_worked_by_hand()
    {
        // Plain: the prefill step samples token 1, then 100 decode steps of 10 ms: TPOT 10 ms.
        var plain = One(null);
        Assert.Equal(101, plain.Steps);
        Assert.Equal(0.010, plain.TpotMs.Mean / 1e3, 6);
        // k = 1, p = 0.5: decode steps emit 1, 2, 1, 2, ...; 33 pairs give 99 tokens, one more step the 100th: 67
        // decode steps after the prefill step, TPOT 67 x 10 ms / 100 = 6.7 ms; every output token is counted once.
        var spec = One(new SpeculativeDecoding(1, 0.5));
        Assert.Equal(68, spec.Steps);
        Assert.Equal(0.0067, spec.TpotMs.Mean / 1e3, 6);
        Assert.Equal(101, spec.OutputTokens);
    }
}
