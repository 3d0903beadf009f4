using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Grpc;

public sealed class DeploymentOptionsRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    [Fact]
    public async Task Disaggregated_pools_report_prefill_input_and_decode_output_rates_separately()
    {
        var req = SimulateWorkloadRpcTests.Parse(
            """
            {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h100-sxm",
            "router":"ROUTER_POLICY_ROUND_ROBIN","disaggregation":{"prefill":{"replicas":1},"decode":{"replicas":2}}},
            "workload":{"synthetic":{"arrival":"ARRIVAL_GAMMA","burstiness":0.5,"ratePerSecond":4,"requests":300,
            "seed":2,"promptTokens":{"empiricalTrace":"azure-code-2023"},"outputTokens":{"uniform":{"min":2,
            "max":200}}}},"slo":{"ttftMs":500,"tpotMs":50}}
            """);
        var r = await Client.SimulateWorkloadAsync(req);
        Assert.Equal(300, r.CompletedRequests);
        Assert.Equal(new[] { "prefill", "decode" }, r.Pools.Select(p => p.Name));
        Assert.Equal(3, r.Pools.Sum(p => p.Accelerators));
        Assert.True(r.Pools[0].InputTokensPerSecondPerNode > 0 && r.Pools[1].InputTokensPerSecondPerNode == 0);
        Assert.True(r.Pools[1].OutputTokensPerSecondPerNode > r.Pools[0].OutputTokensPerSecondPerNode);
        Assert.InRange(r.Metrics.TotalInputTokens / 300.0, 1000, 3000); // azure-code prompts average 2,048 tokens
        Assert.True(r.Cost.UsdPerMillionInputTokens > 0 && r.Cost.UsdPerMillionOutputTokens > 0);
    }

    [Theory]
    [InlineData("""{"replicas":1000000000}""", "deployment.replicas")]
    [InlineData("""{"replicas":300,"dataParallel":300}""", "deployment.replicas")]
    [InlineData("""{"disaggregation":{"prefill":{},"decode":{"replicas":70000}}}""",
        "deployment.disaggregation.decode.replicas")]
    public async Task Instance_counts_past_the_limit_are_refused_before_anything_is_built(string deployment,
        string field)
    {
        string workload = """{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":1,"requests":10,"seed":1,"""
            + """ "promptTokens":{"fixed":100},"""
            + """ "outputTokens":{"fixed":10}}}""";
        string json = """{"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h100-sxm", """
            + deployment[1..] + ", \"workload\": " + workload + "}";
        var started = DateTime.UtcNow;
        await GrpcAssert.FailsWith(StatusCode.ResourceExhausted, field,
            () => Client.SimulateWorkloadAsync(SimulateWorkloadRpcTests.Parse(json)).ResponseAsync);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Disaggregated_pool_tensor_parallel_is_checked_under_its_own_path()
    {
        var req = SimulateWorkloadRpcTests.Parse(
            """
            {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h100-sxm",
            "disaggregation":{"prefill":{"tensorParallel":3},"decode":{}}},"workload":{"trace":"azure-conv-2023"}}
            """);
        await GrpcAssert.InvalidField("deployment.disaggregation.prefill.tensor_parallel",
            () => Client.SimulateWorkloadAsync(req).ResponseAsync);
    }
}
