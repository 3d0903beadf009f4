using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Messaging;
using Platform.Testing;

namespace HardwareEmulator.Tests.Messaging;

public sealed class KernelBatchConsumerTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private const string Gemm =
        """
        {"kernel":{"gemm":{"m":2,"n":2,"k":3}},"dtype":"DTYPE_FP32",
        "inputs":[{"shape":[2,3],"values":[1,2,3,4,5,6]},{"shape":[3,2],"values":[7,8,9,10,11,12]}]}
        """;
    private const string TimingOnly =
        """{"kernel":{"gemm":{"m":8192,"n":8192,"k":8192}},"dtype":"DTYPE_BF16","execute":false}""";

    private async Task<KernelBatchCompleted> Submit(SubmitKernelBatch cmd)
    {
        _ = factory.Server; // start the host
        var bus = factory.Services.GetRequiredService<IBus>();
        var client = bus.CreateRequestClient<SubmitKernelBatch>(RequestTimeout.After(s: 30));
        return (await client.GetResponse<KernelBatchCompleted>(cmd)).Message;
    }

    [Fact]
    public async Task A_batch_job_runs_every_kernel_and_reports_results_in_order()
    {
        var done = await Submit(
            new SubmitKernelBatch { JobId = Guid.NewGuid(), Device = "h800", KernelsJson = [Gemm, TimingOnly] });
        Assert.True(done.Succeeded, done.ErrorReason);
        Assert.Equal(2, done.ResultsJson.Count);
        Assert.Contains("\"values\":[58,64,139,154]", done.ResultsJson[0].Replace(" ", ""));
        Assert.True(done.TotalDeviceSeconds > 1e-3);
    }

    [Fact]
    public async Task A_redelivered_job_is_answered_from_its_first_result()
    {
        var cmd = new SubmitKernelBatch { JobId = Guid.NewGuid(), Device = "h800", KernelsJson = [TimingOnly] };
        var first = await Submit(cmd);
        var again = await Submit(cmd with { KernelsJson = [Gemm, Gemm] });
        Assert.Single(again.ResultsJson); // the second body was not run
        Assert.Equal(first.ResultsJson, again.ResultsJson);
        Assert.Equal(first.TotalDeviceSeconds, again.TotalDeviceSeconds);
    }

    [Fact]
    public async Task Bad_kernel_fails_the_job_naming_the_field()
    {
        var done = await Submit(new SubmitKernelBatch
        {
            JobId = Guid.NewGuid(), Device = "h800", KernelsJson = [Gemm, Gemm.Replace("\"k\":3", "\"k\":0")],
        });
        Assert.False(done.Succeeded);
        Assert.Equal("kernels[1].kernel.gemm.k", done.ErrorField);
        Assert.Equal("InvalidArgument", done.ErrorCode);
        Assert.Empty(done.ResultsJson);
    }
}
