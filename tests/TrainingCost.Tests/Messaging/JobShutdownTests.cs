using Google.Protobuf;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Messaging;
using Platform.Contracts.Training.V1;
using Platform.Testing;
using TrainingCost.Domain;
using TrainingCost.Domain.Jobs;
using TrainingCost.Messaging;

namespace TrainingCost.Tests.Messaging;

/// <summary>A job's work observes the host stopping, and the job ends rather than staying "running".</summary>
public sealed class JobShutdownTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private sealed class StoppingLifetime : IHostApplicationLifetime
    {
        private readonly CancellationTokenSource _stopping = new();
        public StoppingLifetime() => _stopping.Cancel();
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => _stopping.Token;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() { }
    }

    [Fact]
    public async Task A_job_running_when_the_host_stops_is_cancelled_and_fails_saying_so()
    {
        _ = factory.Server; // start the platform: its estimator times ops on its emulator
        await using var provider = new ServiceCollection()
            .AddSingleton<JobStore>()
            .AddSingleton(factory.Services.GetRequiredService<TrainingEstimator>())
            .AddSingleton<IHostApplicationLifetime, StoppingLifetime>()
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
            JobId = job.Id, Kind = "plan", RunSpecJson = JsonFormatter.Default.Format(run), TopK = 2,
        });

        Assert.True(await harness.Consumed.Any<RunTrainingJob>(m => m.Context.Message.JobId == job.Id));
        Assert.True(await harness.Published.Any<TrainingJobCompleted>(m => m.Context.Message.JobId == job.Id));
        var after = store.Get(job.Id);
        Assert.Equal(JobStatus.Failed, after.Status);
        Assert.Contains("stopped before the job finished", after.Message);
        Assert.Equal(0, store.ActiveJobs);
    }
}
