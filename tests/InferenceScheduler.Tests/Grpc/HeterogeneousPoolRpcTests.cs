using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Grpc;

/// <summary>Disaggregated pools on different accelerators (Splitwise's heterogeneous case).</summary>
public sealed class HeterogeneousPoolRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    private static SimulateWorkloadRequest Request(string decodeAccelerator) => SimulateWorkloadRpcTests.Parse(
        """
        {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h800","acceleratorHourUsd":2,
        "disaggregation":{"prefill":{"replicas":1},"decode":{"replicas":2,"accelerator":"DECODE",
        "acceleratorHourUsd":1}}},
        "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":4,"requests":200,"seed":3,
        "promptTokens":{"fixed":1024},"outputTokens":{"fixed":128}}},"slo":{"ttftMs":1000,"tpotMs":100}}
        """.Replace("DECODE", decodeAccelerator, StringComparison.Ordinal));

    [Fact]
    public async Task Each_pool_runs_on_its_own_accelerator_at_its_own_price()
    {
        var hetero = await Client.SimulateWorkloadAsync(Request("h20"));
        var same = await Client.SimulateWorkloadAsync(Request("h800"));
        Assert.Equal(200, hetero.CompletedRequests);
        Assert.Contains(hetero.Notes, n => n.StartsWith("prefill:", StringComparison.Ordinal) && n.Contains("on h800"));
        Assert.Contains(hetero.Notes, n => n.StartsWith("decode:", StringComparison.Ordinal) && n.Contains("on h20"));
        // decode steps are timed on the decode pool's accelerator: an H20 decodes at another speed than an H800
        Assert.NotEqual(same.Metrics.TpotMs.Mean, hetero.Metrics.TpotMs.Mean);
        // prefill times are the H800's either way, so requests' first tokens come at the same times
        Assert.Equal(same.Metrics.TtftMs.P50, hetero.Metrics.TtftMs.P50, 0.05 * same.Metrics.TtftMs.P50);
        // 1 prefill accelerator at $2/h and 2 decode accelerators at $1/h over the simulated span
        Assert.Equal((1 * 2.0 + 2 * 1.0) * hetero.SimulatedSeconds / 3600, hetero.Cost.TotalUsd, 9);
        Assert.Equal(3 * hetero.SimulatedSeconds / 3600, hetero.Cost.AcceleratorHours, 9);
    }

    [Fact]
    public async Task An_unknown_pool_accelerator_is_not_found_under_its_own_path()
    {
        await GrpcAssert.FailsWith(StatusCode.NotFound, "deployment.disaggregation.decode.accelerator",
            () => Client.SimulateWorkloadAsync(Request("h900")).ResponseAsync);
    }
}
