using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Grpc;

public sealed class SpeculativeDecodingRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => new(factory.Channel);

    private const string Constant =
        """
        {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h100-sxm","replicas":1},
        "timeModel":{"constant":{"prefillSecondsPerToken":0.0001,"decodeSecondsPerStep":0.01}},
        "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":1,"requests":1,"seed":3,
        "promptTokens":{"fixed":100},"outputTokens":{"fixed":101}}}}
        """;

    [Theory]
    [InlineData(9, 0.85, "deployment.speculative.draft_tokens")]
    [InlineData(-1, 0.85, "deployment.speculative.draft_tokens")]
    [InlineData(1, 1.5, "deployment.speculative.acceptance_rate")]
    [InlineData(1, -0.2, "deployment.speculative.acceptance_rate")]
    public async Task Out_of_range_speculation_is_invalid_and_named(int k, double p, string field)
    {
        var req = SimulateWorkloadRpcTests.Parse(Constant);
        req.Deployment.Speculative = new SpeculativeDecoding { DraftTokens = k, AcceptanceRate = p };
        await GrpcAssert.InvalidField(field, () => Client.SimulateWorkloadAsync(req).ResponseAsync);
    }

    [Fact]
    public async Task Speculation_cuts_the_steps_and_tpot_as_worked_by_hand()
    {
        // 101 output tokens: the prefill step samples the first, then 100 decode steps of 10 ms; with k = 1, p = 0.5
        // the decode steps emit 1, 2, 1, 2, ...: 67 of them (SpeculativeDecodingTests), TPOT 6.7 ms.
        var req = SimulateWorkloadRpcTests.Parse(Constant);
        req.Deployment.Speculative = new SpeculativeDecoding { DraftTokens = 1, AcceptanceRate = 0.5 };
        var r = await Client.SimulateWorkloadAsync(req);
        Assert.Equal(68, r.Metrics.Steps);
        Assert.Equal(101, r.Metrics.TotalOutputTokens);
        Assert.Equal(6.7, r.Metrics.TpotMs.Mean, 3);
    }
}
