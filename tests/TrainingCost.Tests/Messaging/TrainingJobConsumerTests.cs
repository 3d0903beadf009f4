using Google.Protobuf;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Messaging;
using Platform.Contracts.Training.V1;
using Platform.Testing;
using TrainingCost.Domain;
using Platform.Jobs;
using TrainingCost.Messaging;

namespace TrainingCost.Tests.Messaging;

/// <summary>
/// The training job consumer: a command meets the same limits as the RPC that sends it, and a job's work observes
/// the host stopping, so the job ends rather than staying "running".
/// </summary>
public sealed class TrainingJobConsumerTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
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

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(-1)]
    public async Task A_plan_command_asking_for_more_plans_than_the_rpc_allows_fails_naming_top_k(int topK)
    {
        await using var consumer = await StartAsync(hostStopping: false);
        var job = await consumer.RunPlanAsync(topK);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal("top_k", job.ErrorField);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"trainingTokens\":\"lots\"}")]
    public async Task A_run_spec_that_is_not_valid_json_fails_the_job_naming_run(string runSpecJson)
    {
        await using var consumer = await StartAsync(hostStopping: false);
        var job = await consumer.RunPlanAsync(topK: 2, runSpecJson);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal("run", job.ErrorField);
        Assert.Contains("TrainingRunSpec", job.ErrorReason);
    }

    [Fact]
    public async Task A_job_running_when_the_host_stops_is_cancelled_and_fails_saying_so()
    {
        await using var consumer = await StartAsync(hostStopping: true);
        var job = await consumer.RunPlanAsync(topK: 2);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("stopped before the job finished", job.Message);
        Assert.Equal(0, consumer.Store.ActiveJobs);
    }

    [Fact]
    public async Task A_finished_job_delivered_again_is_not_rerun_and_its_outcome_is_announced_again()
    {
        await using var consumer = await StartAsync(hostStopping: false);
        var job = await consumer.RunPlanAsync(topK: 2);
        Assert.Equal(JobStatus.Succeeded, job.Status);

        // Delivered again (say its acknowledgement was lost) with a run that would fail if it ran: it does not run.
        await consumer.Harness.Bus.Publish(new RunTrainingJob
        {
            JobId = job.Id, Kind = "plan", TopK = 2, RunSpecJson = "{not json",
        });
        List<TrainingJobCompleted> Announced() => consumer.Harness.Published
            .Select<TrainingJobCompleted>(m => m.Context.Message.JobId == job.Id)
            .Select(m => m.Context.Message).ToList();
        for (int i = 0; i < 200 && Announced().Count < 2; i++) await Task.Delay(25);

        var announced = Announced();
        Assert.Equal(2, announced.Count);
        Assert.All(announced, a => Assert.True(a.Succeeded));
        Assert.Equal(announced[0].ResultJson, announced[1].ResultJson);
        Assert.Same(job, consumer.Store.Get(job.Id));
    }

    [Fact]
    public async Task A_job_whose_message_the_bus_takes_back_is_queued_again_and_runs_on_the_next_delivery()
    {
        _ = factory.Server;
        var store = new JobStore();
        var consumer = new TrainingJobConsumer(store, factory.Services.GetRequiredService<TrainingEstimator>(),
            NullLogger<TrainingJobConsumer>.Instance);
        var job = store.Create("estimate");
        var command = new RunTrainingJob
        {
            JobId = job.Id, Kind = "estimate", RunSpecJson = JsonFormatter.Default.Format(
                new Platform.Contracts.Training.V1.TrainingRunSpec
                {
                    Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
                    SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
                }),
        };

        // The connection to the broker is lost mid-run (the message's token is cancelled; the host runs on).
        var lost = FakeConsumeContext.Create(command, new CancellationToken(canceled: true));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consumer.Consume(lost.Context));
        Assert.Equal(JobStatus.Queued, store.Get(job.Id).Status); // not failed: the message is not acknowledged
        Assert.Equal(1, store.ActiveJobs);
        Assert.Empty(lost.Published);

        var again = FakeConsumeContext.Create(command, CancellationToken.None);
        await consumer.Consume(again.Context);
        Assert.Equal(JobStatus.Succeeded, store.Get(job.Id).Status);
        Assert.True(Assert.IsType<TrainingJobCompleted>(Assert.Single(again.Published)).Succeeded);
    }

    /// <summary>The consumer on a test bus, with the platform's estimator (its emulator times the ops).</summary>
    private async Task<Consumer> StartAsync(bool hostStopping)
    {
        _ = factory.Server;
        var services = new ServiceCollection()
            .AddSingleton<JobStore>()
            .AddSingleton(factory.Services.GetRequiredService<TrainingEstimator>())
            .AddMassTransitTestHarness(x => x.AddConsumer<TrainingJobConsumer>());
        if (hostStopping) services.AddSingleton<IHostApplicationLifetime, StoppingLifetime>();
        var provider = services.BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return new Consumer(provider, harness, provider.GetRequiredService<JobStore>());
    }

    private sealed record Consumer(ServiceProvider Provider, ITestHarness Harness, JobStore Store) : IAsyncDisposable
    {
        /// <summary>Publishes a plan job for Llama 3.1 8B on 64 H100 and returns it once it completed.</summary>
        public async Task<JobSnapshot> RunPlanAsync(int topK, string? runSpecJson = null)
        {
            var job = Store.Create("plan");
            var run = new Platform.Contracts.Training.V1.TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
                SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
            };
            await Harness.Bus.Publish(new RunTrainingJob
            {
                JobId = job.Id, Kind = "plan", TopK = topK,
                RunSpecJson = runSpecJson ?? JsonFormatter.Default.Format(run),
            });
            Assert.True(await Harness.Published.Any<TrainingJobCompleted>(m => m.Context.Message.JobId == job.Id));
            return Store.Get(job.Id);
        }

        public ValueTask DisposeAsync() => Provider.DisposeAsync();
    }
}
