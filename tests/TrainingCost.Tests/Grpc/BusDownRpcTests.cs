using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using Platform.Testing;
using Platform.Jobs;

namespace TrainingCost.Tests.Grpc;

/// <summary>A platform whose bus is stopped: nothing can hand a job to a worker.</summary>
public sealed class BusDownFactory : PlatformFactory;

public sealed class BusDownRpcTests(BusDownFactory factory) : IClassFixture<BusDownFactory>
{
    [Fact]
    public async Task A_job_submitted_while_the_bus_is_down_is_refused_as_unavailable_and_not_recorded()
    {
        _ = factory.Server;
        await factory.Services.GetRequiredService<IBusControl>().StopAsync();
        var client = new TrainingCostService.TrainingCostServiceClient(factory.Channel);
        var run = new TrainingRunSpec
        {
            Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
            SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
        };

        var e = await GrpcAssert.FailsWith(StatusCode.Unavailable, "message bus", () =>
            client.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = run },
                deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        Assert.Contains("try again", e.Status.Detail);
        await GrpcAssert.FailsWith(StatusCode.Unavailable, "message bus", () =>
            client.SubmitPlanJobAsync(new SubmitPlanJobRequest { Run = run, TopK = 2 }).ResponseAsync);
        var store = factory.Services.GetRequiredService<JobStore>();
        Assert.Equal(0, store.Count);
        Assert.Equal(0, store.ActiveJobs);
        // Bad input is still named first: the bus matters only for a job that could run.
        run.Cluster.Count = 0;
        await GrpcAssert.FailsWith(StatusCode.InvalidArgument, "run.cluster.count", () =>
            client.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = run }).ResponseAsync);
    }
}
