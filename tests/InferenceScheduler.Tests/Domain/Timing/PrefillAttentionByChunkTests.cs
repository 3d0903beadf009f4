using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;
using InferenceScheduler.Tests.Domain.Simulation;

namespace InferenceScheduler.Tests.Domain.Timing;

/// <summary>Prefill attention is timed per chunk at the chunk's own length, as FlashAttention runs it.</summary>
public sealed class PrefillAttentionByChunkTests
{
    // Attention seconds at the profile's prefill grid: per causal pair, short prompts cost 3x what long ones do (the
    // shape of the published FlashAttention curves: short sequences run far below the long-sequence rate).
    private static ProfiledStepTimeModel Model()
    {
        double[] pairs = StepProfilePlan.PrefillPairsGrid;
        double[] seconds = pairs.Select((p, i) => p * 1e-12 * (i < 3 ? 3 : 1)).ToArray();
        var flat = new Table([1, 1e6], [0, 0]);
        return new ProfiledStepTimeModel(flat, flat, flat, flat, new Table(pairs, seconds), 0, false, "test");
    }

    [Fact]
    public void A_batch_of_short_prompts_is_timed_at_their_length_not_at_the_summed_pairs()
    {
        var m = Model();
        var shape = new StepShape { PrefillTokens = 16 * 256, PrefillSequences = 16 };
        for (int i = 0; i < 16; i++)
        {
            shape.PrefillAttentionPairs += StepShape.ChunkPairs(256, 0);
            shape.PrefillAttentionSeconds += m.PrefillChunkAttentionSeconds(256, 0);
        }
        double perChunk = m.PrefillAttention.At(StepShape.ChunkPairs(256, 0));
        Assert.Equal(16 * perChunk, m.StepSeconds(shape), 12);
        // Timing the summed pairs would charge the long-prompt rate: a third of the short-prompt cost.
        Assert.True(m.StepSeconds(shape) > 2 * m.PrefillAttention.At(shape.PrefillAttentionPairs));
    }

    [Fact]
    public void The_simulator_charges_each_chunk_its_own_attention()
    {
        // One request at a time: the time to first token is one prefill step of that prompt alone.
        var m = Model();
        var r = new Simulator(Sim.Colocated(m, Sim.Vllm()))
            .Run(Sim.Poisson(0.001, 3, new FixedLength(256), new FixedLength(2)));
        Assert.Equal(m.PrefillChunkAttentionSeconds(256, 0) * 1e3, r.TtftMs.P50, 0.05 * r.TtftMs.P50);
    }
}
