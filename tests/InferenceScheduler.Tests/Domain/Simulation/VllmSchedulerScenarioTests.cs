using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;

namespace InferenceScheduler.Tests.Domain.Simulation;

/// <summary>vLLM V1 scheduling decisions reproduced step by step on one engine core.</summary>
public sealed class VllmSchedulerScenarioTests
{
    private readonly RequestState[] _reqs = new RequestState[16];
    private static readonly ConstantStepTimeModel Time = new(0.0001, 0.01, 0);

    private static Instance Core(SchedulerSettings s, int blocks) => new(0, 0, s, Time, blocks);

    /// <summary>
    /// A request already decoding: prompt computed, <paramref name="generated"/> tokens sampled, blocks held.
    /// </summary>
    private void Decoding(Instance core, int slot, int input, int generated = 1, int priority = 0)
    {
        ref var r = ref _reqs[slot];
        r = new RequestState
        {
            Index = slot, Arrival = slot, Input = input, Output = 1000, Generated = generated,
            Computed = input + generated - 1, Priority = priority, Admitted = true,
        };
        int blocks = (r.Computed + 15) / 16;
        core.Kv.Allocate(blocks);
        r.PrivateBlocks = blocks;
        core.Running.Add(slot);
    }

    private void Waiting(Instance core, int slot, int input, int[]? hashes = null, int output = 100)
    {
        _reqs[slot] = new RequestState
        {
            Index = slot, Arrival = slot, Input = input, Output = output, Hashes = hashes,
        };
        core.Enqueue(_reqs, slot, front: false);
    }

    private int[] ScheduledTokens(Instance core) =>
        Enumerable.Range(0, core.Scheduled.Count).Select(k => _reqs[core.Scheduled[k]].Scheduled).ToArray();

    private void EndStep(Instance core)
    {
        for (int k = 0; k < core.Scheduled.Count; k++)
        {
            ref var r = ref _reqs[core.Scheduled[k]];
            core.Advance(ref r);
            if (r.Computed == r.NumTokens) r.Generated++;
        }
    }

    [Fact]
    public void Token_budget_goes_to_running_decodes_first_and_the_rest_to_a_chunk_of_the_waiting_prompt()
    {
        var core = Core(Sim.Vllm(budget: 512), 10_000);
        Decoding(core, 0, 300);
        Decoding(core, 1, 300);
        Waiting(core, 2, 1000);
        Assert.True(core.Schedule(_reqs, 0));
        Assert.Equal(new[] { 1, 1, 510 }, ScheduledTokens(core));
        Assert.Equal(2, core.Shape.DecodeSequences);
        Assert.Equal(510, core.Shape.PrefillTokens);
        Assert.Equal(0, core.Shape.PrefillSequences); // the chunk does not finish the prompt: no token sampled for it
        EndStep(core);
        // Step 2: the partial prefill is now running and continues with what the decodes leave.
        Assert.True(core.Schedule(_reqs, 1));
        Assert.Equal(new[] { 1, 1, 490 }, ScheduledTokens(core));
        Assert.Equal(1, core.Shape.PrefillSequences);
    }

    [Fact]
    public void Long_prefill_token_threshold_caps_each_chunk()
    {
        var core = Core(Sim.Vllm(budget: 2048, threshold: 256), 10_000);
        Waiting(core, 0, 1000);
        Waiting(core, 1, 1000);
        Assert.True(core.Schedule(_reqs, 0));
        Assert.Equal(new[] { 256, 256 }, ScheduledTokens(core));
    }

    [Fact]
    public void Fcfs_preempts_the_last_running_request_and_admits_nobody_that_step()
    {
        // 20 blocks, both decoders hold 10 (160 tokens) and the next token of the first needs an 11th block.
        var core = Core(Sim.Vllm(), 20);
        Decoding(core, 0, 160);
        Decoding(core, 1, 160);
        Waiting(core, 2, 10);
        _reqs[0].Computed = 160; _reqs[0].Generated = 1; // token 161 needs block 11
        Assert.True(core.Schedule(_reqs, 0));
        Assert.Equal(new[] { 1 }, ScheduledTokens(core));
        Assert.Equal(0, core.Scheduled[0]);
        Assert.Equal(1, core.Preemptions);
        Assert.Equal(0, _reqs[1].Computed);          // recompute from scratch later
        Assert.Equal(1, _reqs[1].Preemptions);
        Assert.Equal(1, core.Running.Count);
        Assert.Equal(2, core.WaitingCount);          // the victim went back to the front, the new request still waits
        Assert.Equal(10 + 1, core.Kv.UsedBlocks);
    }

    [Fact]
    public void Priority_policy_preempts_the_lowest_priority_even_when_it_is_first()
    {
        var core = Core(Sim.Vllm(policy: SchedulingPolicyKind.Priority), 20);
        Decoding(core, 0, 160, priority: 5);
        Decoding(core, 1, 160, priority: 0);
        _reqs[0].Computed = 160;
        // request 0 needs a block, is itself the victim; scheduling of running stops
        Assert.False(core.Schedule(_reqs, 0));
        Assert.Equal(1, _reqs[0].Preemptions);
        Assert.Equal(0, _reqs[1].Preemptions);
        Assert.True(core.Schedule(_reqs, 1));  // next step: request 1 decodes in the freed space
        Assert.Contains(1, Enumerable.Range(0, core.Scheduled.Count).Select(k => core.Scheduled[k]));
    }

    [Fact]
    public void Prefix_cache_hit_skips_the_shared_512_token_blocks()
    {
        var core = Core(Sim.Vllm(), 10_000);
        Waiting(core, 0, 1100, [7, 8]);
        Assert.True(core.Schedule(_reqs, 0));
        EndStep(core);                                      // computes 1100 tokens, registers units 7 and 8
        Waiting(core, 1, 1100, [7, 8]);
        Assert.True(core.Schedule(_reqs, 1));
        Assert.Equal(1024, _reqs[1].CachedTokens);
        Assert.Equal(new[] { 1, 76 }, ScheduledTokens(core)); // request 0 decodes, request 1 prefills only 1100 - 1024
        Assert.Equal(1024 + 76, _reqs[1].Computed + _reqs[1].Scheduled);
    }

    [Fact]
    public void Without_chunked_prefill_a_prompt_waits_for_a_whole_budget()
    {
        var core = Core(Sim.Vllm(budget: 1000, chunked: false), 10_000);
        Decoding(core, 0, 100);
        Waiting(core, 1, 1000);
        Assert.True(core.Schedule(_reqs, 0));
        Assert.Equal(new[] { 1 }, ScheduledTokens(core)); // 999 tokens left: the 1000-token prompt does not fit
    }

    [Fact]
    public void Orca_reserves_prompt_plus_output_at_admission_and_never_chunks()
    {
        var core = Core(Sim.Vllm(budget: 4096, batching: BatchingPolicyKind.Orca), 100);
        Waiting(core, 0, 800, output: 800);  // 1600 tokens = 100 blocks: fills the cache
        Waiting(core, 1, 16, output: 1);
        Assert.True(core.Schedule(_reqs, 0));
        Assert.Equal(new[] { 800 }, ScheduledTokens(core));
        Assert.Equal(100, core.Kv.UsedBlocks);
        Assert.Equal(1, core.WaitingCount); // vLLM would have admitted it (it allocates as it goes)
    }
}
