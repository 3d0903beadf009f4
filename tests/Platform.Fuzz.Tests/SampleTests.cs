namespace Platform.Fuzz.Tests;

/// <summary>
/// The fuzz and edge-case suites start from valid requests: each sample is answered OK (a job id or a live
/// deployment's name is well-formed but unknown to a fresh host: NotFound).
/// </summary>
public sealed class SampleTests(FuzzFactory factory) : IClassFixture<FuzzFactory>
{
    // Job RPCs name a job id that is well-formed but unknown to a fresh host.
    private static readonly string[] ByJobId =
    [
        "platform.training.v1.TrainingCostService/GetJob", "platform.jobs.v1.JobService/GetJob",
        "platform.jobs.v1.JobService/CancelJob",
        "platform.inference.v1.InferenceSchedulerService/GetDeployment",
        "platform.inference.v1.InferenceSchedulerService/DeleteDeployment",
    ];

    public static TheoryData<string> UnaryRpcs() => [.. Rpcs.Unary().Select(r => r.FullName)];

    [Theory]
    [MemberData(nameof(UnaryRpcs))]
    public async Task Every_sample_request_is_answered_OK(string rpc)
    {
        var r = Rpcs.Unary().Single(x => x.FullName == rpc);
        Assert.NotEmpty(r.Samples);
        var invoker = factory.Channel.CreateCallInvoker();
        foreach (var sample in r.Samples)
        {
            var (code, detail) = await FuzzTests.Call(invoker, r, Google.Protobuf.MessageExtensions.ToByteArray(sample),
                TimeSpan.FromSeconds(60));
            var expected = ByJobId.Contains(rpc) ? StatusCode.NotFound : StatusCode.OK;
            Assert.True(code == expected, $"{rpc}: {code} '{detail}'");
        }
    }
}
