using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Grpc;

public sealed class TraceRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task Built_in_traces_are_listed_with_their_row_counts()
    {
        var client = new InferenceSchedulerService.InferenceSchedulerServiceClient(factory.Channel);
        var traces = (await client.ListTracesAsync(new ListTracesRequest())).Traces.ToDictionary(t => t.Name);
        Assert.Equal(8819, traces["azure-code-2023"].Requests);
        Assert.Equal(19366, traces["azure-conv-2023"].Requests);
        Assert.Equal(12031, traces["mooncake-conversation"].Requests);
        Assert.Equal(3993, traces["mooncake-synthetic"].Requests);
        Assert.InRange(traces["azure-conv-2023"].SpanSeconds, 3400, 3600);
        Assert.InRange(traces["azure-conv-2023"].MeanInputTokens, 1150, 1160);
    }
}
