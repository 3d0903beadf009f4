using System.Collections.Concurrent;
using Google.Protobuf;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Messaging;
using Platform.Jobs;
using Platform.Modeling.Errors;
using Platform.Testing;
using TrainingCost.Domain;
using TrainingCost.Messaging;

namespace TrainingCost.Tests.Messaging;

/// <summary>
/// A job accepted while the database answered, whose state cannot be saved while it runs: the bus runs it again
/// once the database answers, rather than the job failing on a "database" field or staying "running" unsaved.
/// </summary>
public sealed class JobDatabaseOutageTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    /// <summary>
    /// Jobs in memory; the next <see cref="FailingSaves"/> saves (of a job in state <see cref="FailOn"/>, when set)
    /// fail as a database outage does.
    /// </summary>
    private sealed class FlakyRepository : IJobRepository
    {
        private readonly ConcurrentDictionary<Guid, JobSnapshot> _rows = new();
        public int FailingSaves;
        public JobStatus? FailOn;

        public JobSnapshot Save(JobSnapshot job)
        {
            if ((FailOn is null || job.Status == FailOn) && Interlocked.Decrement(ref FailingSaves) >= 0)
                throw new DependencyUnavailableException(TrainingJobConsumerDefinition.Database,
                    "the platform database could not save a job; try again later");
            if (_rows.TryGetValue(job.Id, out var kept) && kept.Finished) return kept;
            _rows[job.Id] = job;
            return job;
        }

        public JobSnapshot? Find(Guid id) => _rows.GetValueOrDefault(id);
        public IReadOnlyList<JobSnapshot> List(JobQuery query, CancellationToken ct) => [.. _rows.Values];
        public void Delete(IReadOnlyCollection<Guid> ids) { foreach (var id in ids) _rows.TryRemove(id, out _); }
        public IReadOnlyList<FinishedJob> ListFinished(CancellationToken ct) => [];
        public int FailUnfinished(string message, DateTimeOffset at, CancellationToken ct) => 0;
    }

    [Fact]
    public async Task A_job_whose_state_cannot_be_saved_runs_again_and_succeeds_once_the_database_answers()
    {
        var repository = new FlakyRepository();
        await using var provider = await StartAsync(repository, retries: 5);
        var harness = provider.GetRequiredService<ITestHarness>();
        var store = provider.GetRequiredService<JobStore>();
        var job = store.Create("estimate");

        // The result cannot be saved twice: the job runs three times, and the third result is kept.
        (repository.FailOn, repository.FailingSaves) = (JobStatus.Succeeded, 2);
        await harness.Bus.Publish(Command(job.Id));

        Assert.True(await harness.Published.Any<TrainingJobCompleted>(m => m.Context.Message.JobId == job.Id));
        var done = store.Get(job.Id);
        Assert.Equal((JobStatus.Succeeded, null), (done.Status, done.ErrorField));
        Assert.Equal(JobStatus.Succeeded, repository.Find(job.Id)?.Status);
        Assert.Equal(0, store.ActiveJobs);
        Assert.True(repository.FailingSaves < 0, "the result's saves did not fail");
    }

    [Fact]
    public async Task A_job_the_database_stays_down_for_faults_its_message_and_is_not_failed_on_a_database_field()
    {
        var repository = new FlakyRepository();
        await using var provider = await StartAsync(repository, retries: 2);
        var harness = provider.GetRequiredService<ITestHarness>();
        var store = provider.GetRequiredService<JobStore>();
        var job = store.Create("estimate");

        repository.FailingSaves = int.MaxValue;
        await harness.Bus.Publish(Command(job.Id));

        // The message goes to the error queue (an operator can move it back); the job is as last saved.
        Assert.True(await harness.Published.Any<Fault<RunTrainingJob>>(m => m.Context.Message.Message.JobId == job.Id));
        Assert.False(await harness.Published.Any<TrainingJobCompleted>(m => m.Context.Message.JobId == job.Id));
        Assert.Equal(JobStatus.Queued, repository.Find(job.Id)?.Status);
        Assert.Equal(JobStatus.Queued, store.Get(job.Id).Status);
    }

    private static RunTrainingJob Command(Guid id) => new()
    {
        JobId = id, Kind = "estimate",
        RunSpecJson = JsonFormatter.Default.Format(new Platform.Contracts.Training.V1.TrainingRunSpec
        {
            Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
            SequenceLength = 8192, Cluster = new Platform.Contracts.Training.V1.Cluster
            {
                Accelerator = "h100-sxm", Count = 64,
            },
        }),
    };

    /// <summary>The consumer on a test bus with the module's retry policy, at short intervals.</summary>
    private async Task<ServiceProvider> StartAsync(IJobRepository repository, int retries)
    {
        _ = factory.Server;
        var provider = new ServiceCollection()
            .AddSingleton(new JobStore(new JobStoreOptions(), null, repository))
            .AddSingleton(factory.Services.GetRequiredService<TrainingEstimator>())
            .AddMassTransitTestHarness(x => x.AddConsumer<TrainingJobConsumer>((_, c) =>
                c.UseMessageRetry(r => TrainingJobConsumerDefinition.RetryWhileDatabaseIsDown(r,
                    [.. Enumerable.Repeat(TimeSpan.FromMilliseconds(20), retries)]))))
            .BuildServiceProvider(true);
        await provider.GetRequiredService<ITestHarness>().Start();
        return provider;
    }
}
