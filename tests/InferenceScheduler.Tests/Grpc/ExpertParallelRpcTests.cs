using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Grpc;

public sealed class ExpertParallelRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    private static SimulateWorkloadRequest DeepSeek(int ep, double imbalance = 1.0)
    {
        var req = SimulateWorkloadRpcTests.Parse(
            """
            {"model":{"preset":"deepseek-v3"},"deployment":{"accelerator":"h800","tensorParallel":1},
            "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":2,"requests":40,"seed":1,
            "promptTokens":{"fixed":2000},"outputTokens":{"fixed":100}}}}
            """);
        req.Deployment.DataParallel = ep;
        req.Deployment.ExpertParallel = ep;
        req.Deployment.ExpertImbalance = imbalance;
        return req;
    }

    [Fact]
    public async Task Wider_expert_parallelism_frees_memory_and_speeds_pure_decode_but_slows_prefill_and_stalls_more()
    {
        // 16 H800s: half of each all-to-all stays on NVLink
        var twoNodes = await Client.SimulateWorkloadAsync(DeepSeek(16));
        var eightNodes = await Client.SimulateWorkloadAsync(DeepSeek(64));
        Assert.True(eightNodes.Pools[0].WeightGbPerAccelerator < twoNodes.Pools[0].WeightGbPerAccelerator);
        Assert.True(eightNodes.Pools[0].KvCacheTokensPerInstance > twoNodes.Pools[0].KvCacheTokensPerInstance);
        // A decode-only step of a few sequences is bound by reading expert weights: 4 experts per GPU beat 16.
        Assert.True(eightNodes.Metrics.ItlMs.P50 < twoNodes.Metrics.ItlMs.P50,
            $"ITL p50 {eightNodes.Metrics.ItlMs.P50} vs {twoNodes.Metrics.ItlMs.P50}");
        // A 2000-token prefill is bound by the all-to-all: 7/8 of the bytes cross InfiniBand instead of 1/2.
        Assert.True(eightNodes.Metrics.TtftMs.Mean > twoNodes.Metrics.TtftMs.Mean,
            $"TTFT {eightNodes.Metrics.TtftMs.Mean} vs {twoNodes.Metrics.TtftMs.Mean}");
        // The DP ranks of an EP group step in lockstep: decodes wait whenever any of the 64 ranks runs a prefill.
        Assert.True(eightNodes.Metrics.TpotMs.Mean > twoNodes.Metrics.TpotMs.Mean,
            $"TPOT {eightNodes.Metrics.TpotMs.Mean} vs {twoNodes.Metrics.TpotMs.Mean}");
    }

    [Fact]
    public async Task Expert_routing_imbalance_slows_steps()
    {
        var balanced = await Client.SimulateWorkloadAsync(DeepSeek(16));
        var skewed = await Client.SimulateWorkloadAsync(DeepSeek(16, 2.0));
        Assert.True(skewed.Metrics.TtftMs.Mean > balanced.Metrics.TtftMs.Mean);
    }

    [Fact]
    public async Task Sms_reserved_for_communication_slow_compute_bound_prefill_but_not_memory_bound_decode()
    {
        // One H800, no collectives: the prefill time is all GEMM and attention, the small-batch decode all HBM
        // streaming.
        static SimulateWorkloadRequest Llama(int sms)
        {
            var req = SimulateWorkloadRpcTests.Parse(
                """
                {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h800"},
                "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":1,"requests":20,"seed":1,
                "promptTokens":{"fixed":4000},"outputTokens":{"fixed":50}}}}
                """);
            req.Deployment.CommunicationSms = sms;
            return req;
        }
        var all = await Client.SimulateWorkloadAsync(Llama(0));
        var reserved = await Client.SimulateWorkloadAsync(Llama(20)); // DeepEP on H800: 20 of 132 SMs
        // Compute-bound prefill steps stretch by up to 132/112 (the 2 ms host overhead per step does not).
        Assert.True(reserved.Metrics.TtftMs.Mean > all.Metrics.TtftMs.Mean * 1.08,
            $"TTFT {reserved.Metrics.TtftMs.Mean} vs {all.Metrics.TtftMs.Mean}");
        Assert.True(reserved.Metrics.TtftMs.Mean < all.Metrics.TtftMs.Mean * 132 / 112 + 1e-6,
            $"TTFT {reserved.Metrics.TtftMs.Mean} vs {all.Metrics.TtftMs.Mean}");
        // A decode step of a few sequences streams weights and KV from HBM, which the remaining SMs still saturate.
        Assert.True(reserved.Metrics.ItlMs.P50 < all.Metrics.ItlMs.P50 * 1.02,
            $"ITL p50 {reserved.Metrics.ItlMs.P50} vs {all.Metrics.ItlMs.P50}");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(132)]
    public async Task Sms_reserved_for_communication_must_leave_some_for_compute(int sms)
    {
        var req = DeepSeek(16);
        req.Deployment.CommunicationSms = sms;
        await GrpcAssert.InvalidField("deployment.communication_sms",
            () => Client.SimulateWorkloadAsync(req).ResponseAsync);
    }

    [Fact]
    public async Task Expert_parallel_must_match_the_ranks_holding_experts()
    {
        var req = DeepSeek(16);
        req.Deployment.ExpertParallel = 8;
        await GrpcAssert.InvalidField("deployment.expert_parallel",
            () => Client.SimulateWorkloadAsync(req).ResponseAsync);
    }
}
