using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Grpc;

public sealed class ExpertParallelRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    private static SimulateWorkloadRequest DeepSeek(int ep, double imbalance = 1.0)
    {
        var req = SimulateWorkloadRpcTests.Parse(
            """{"model":{"preset":"deepseek-v3"},"deployment":{"accelerator":"h800","tensorParallel":1},"workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":2,"requests":40,"seed":1,"promptTokens":{"fixed":2000},"outputTokens":{"fixed":100}}}}""");
        req.Deployment.DataParallel = ep;
        req.Deployment.ExpertParallel = ep;
        req.Deployment.ExpertImbalance = imbalance;
        return req;
    }

    [Fact]
    public async Task Wider_expert_parallelism_frees_memory_for_kv()
    {
        var oneNode = await Client.SimulateWorkloadAsync(DeepSeek(16));  // 16 H800s span two 8-GPU nodes
        var fourNodes = await Client.SimulateWorkloadAsync(DeepSeek(64));
        Assert.True(fourNodes.Pools[0].WeightGbPerAccelerator < oneNode.Pools[0].WeightGbPerAccelerator);
        Assert.True(fourNodes.Pools[0].KvCacheTokensPerInstance > oneNode.Pools[0].KvCacheTokensPerInstance);
        // Whether decode gets faster or slower depends on the balance between fewer expert weights read per
        // GPU and a wider all-to-all; with the emulator's calibrated collectives EP64 is not slower here.
    }

    [Fact]
    public async Task Expert_routing_imbalance_slows_steps()
    {
        var balanced = await Client.SimulateWorkloadAsync(DeepSeek(16));
        var skewed = await Client.SimulateWorkloadAsync(DeepSeek(16, 2.0));
        Assert.True(skewed.Metrics.TtftMs.Mean > balanced.Metrics.TtftMs.Mean);
    }

    [Fact]
    public async Task Expert_parallel_must_match_the_ranks_holding_experts()
    {
        var req = DeepSeek(16);
        req.Deployment.ExpertParallel = 8;
        await GrpcAssert.InvalidField("deployment.expert_parallel", () => Client.SimulateWorkloadAsync(req).ResponseAsync);
    }
}
