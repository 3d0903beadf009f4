using Google.Protobuf;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Messaging;
using Platform.Contracts.Training.V1;
using Platform.Testing;
using TrainingCost.Domain;
using TrainingCost.Domain.Jobs;
using TrainingCost.Messaging;

namespace TrainingCost.Tests.Messaging;

/// <summary>A command on the bus meets the same limits as the RPC that sends it.</summary>
public sealed class TrainingJobConsumerTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(-1)]
    public async Task A_plan_command_asking_for_more_plans_than_the_rpc_allows_fails_naming_top_k(int topK)
    {
        _ = factory.Server;
        await using var provider = new ServiceCollection()
            .AddSingleton<JobStore>()
            .AddSingleton(factory.Services.GetRequiredService<TrainingEstimator>())
            .AddMassTransitTestHarness(x => x.AddConsumer<TrainingJobConsumer>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var store = provider.GetRequiredService<JobStore>();
        var job = store.Create("plan");
        var run = new Platform.Contracts.Training.V1.TrainingRunSpec
        {
            Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
            SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
        };

        await harness.Bus.Publish(new RunTrainingJob
        {
            JobId = job.Id, Kind = "plan", RunSpecJson = JsonFormatter.Default.Format(run), TopK = topK,
        });

        Assert.True(await harness.Published.Any<TrainingJobCompleted>(m => m.Context.Message.JobId == job.Id));
        var after = store.Get(job.Id);
        Assert.Equal(JobStatus.Failed, after.Status);
        Assert.Equal("top_k", after.ErrorField);
    }
}
