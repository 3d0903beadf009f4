using InferenceScheduler.Domain.Live;
using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;

namespace InferenceScheduler.Tests.Domain.Live;

/// <summary>
/// Without ignore_eos a request stops where the llm-d vLLM simulator would stop it: its published response-length
/// histogram (15% at max_tokens; 20/30/20/5/10% in five buckets below it), drawn from the request's seed.
/// </summary>
public sealed class EndOfSequenceTests
{
    private const int Samples = 40_000;

    /// <summary>4 standard errors of a share estimated from <see cref="Samples"/> draws is under 0.8 points.</summary>
    private const double Tolerance = 0.008;

    [Fact]
    public void Lengths_follow_the_simulator_histogram_for_a_long_max_tokens()
    {
        const int max = 1000;
        var counts = new int[6];
        for (int i = 0; i < Samples; i++)
        {
            int n = EndOfSequence.Length(max, (ulong)i * 7919 + 1);
            Assert.InRange(n, 1, max);
            // Above 101 tokens the buckets are 1-20, 21-40, 41-60, 61-(max-20) and (max-19)-(max-1).
            counts[n == max ? 5 : n <= 20 ? 0 : n <= 40 ? 1 : n <= 60 ? 2 : n <= max - 20 ? 3 : 4]++;
        }
        double[] published = [0.2, 0.3, 0.2, 0.05, 0.1, 0.15];
        for (int b = 0; b < 6; b++)
            Assert.InRange((double)counts[b] / Samples, published[b] - Tolerance, published[b] + Tolerance);
    }

    [Fact]
    public void Short_max_tokens_split_evenly_into_equal_buckets_and_tiny_ones_are_uniform()
    {
        // max 51: five buckets of 10 tokens below it (1-10, ..., 41-50), then 51 itself.
        var counts = new int[6];
        for (int i = 0; i < Samples; i++)
        {
            int n = EndOfSequence.Length(51, (ulong)i + 17);
            counts[n == 51 ? 5 : (n - 1) / 10]++;
        }
        double[] published = [0.2, 0.3, 0.2, 0.05, 0.1, 0.15];
        for (int b = 0; b < 6; b++)
            Assert.InRange((double)counts[b] / Samples, published[b] - Tolerance, published[b] + Tolerance);

        var small = new int[5];
        for (int i = 0; i < Samples; i++) small[EndOfSequence.Length(4, (ulong)i)]++;
        Assert.Equal(0, small[0]);
        for (int n = 1; n <= 4; n++) Assert.InRange((double)small[n] / Samples, 0.25 - Tolerance, 0.25 + Tolerance);
        Assert.Equal(1, EndOfSequence.Length(1, 42));
    }

    [Fact]
    public void The_same_seed_gives_the_same_stop_point()
    {
        for (ulong seed = 0; seed < 200; seed++)
            Assert.Equal(EndOfSequence.Length(300, seed), EndOfSequence.Length(300, seed));
        Assert.True(Enumerable.Range(0, 200).Select(s => EndOfSequence.Length(300, (ulong)s)).Distinct().Count() > 50);
    }

    [Fact]
    public async Task A_request_with_a_stop_point_ends_there_with_reason_stop_and_one_without_runs_to_max_tokens()
    {
        var setup = new SimulationSetup(new PoolSetup("colocated", 1, 1, 100_000,
                new SchedulerSettings(64, 2048, 0, 16, ChunkedPrefill: true, PrefixCaching: false,
                    SchedulingPolicyKind.Fcfs, BatchingPolicyKind.VllmV1),
                new ConstantStepTimeModel(1e-5, 0.001, 0.001)),
            null, RouterKind.LeastOutstanding, new SloTargets(0, 0, 0));
        using var engine = new LiveEngine(setup, 1, 100);
        var stopped = await Outcome(engine.Submit(50, null, 40, stopAt: 9));
        var full = await Outcome(engine.Submit(50, null, 40));
        Assert.Equal((9, "stop"), (stopped.CompletionTokens, stopped.FinishReason));
        Assert.Equal((40, "length"), (full.CompletionTokens, full.FinishReason));
    }

    private static async Task<LiveOutcome> Outcome(LiveRequest h)
    {
        LiveOutcome? outcome = null;
        int tokens = 0;
        await foreach (var e in h.Events.ReadAllAsync())
        {
            if (e.Kind == LiveEventKind.Tokens) tokens += e.Tokens;
            if (e.Outcome is { } o) outcome = o;
        }
        Assert.NotNull(outcome);
        Assert.Equal(outcome.CompletionTokens, tokens);
        return outcome;
    }
}
