using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Messaging;
using Platform.Jobs;
using TrainingCost.Messaging;

namespace TrainingCost.Tests.Messaging;

/// <summary>
/// Jobs survive competing consumers: any instance may run a job, and the accepting instance learns the outcome.
/// </summary>
public sealed class JobHandOffTests
{
    [Fact]
    public void A_job_accepted_elsewhere_is_adopted_once()
    {
        var store = new JobStore();
        var id = Guid.NewGuid();
        Assert.True(store.Adopt(id, "plan"));
        Assert.False(store.Adopt(id, "plan"));
        Assert.Equal(JobStatus.Queued, store.Get(id).Status);
        Assert.Equal("plan", store.Get(id).Kind);
    }

    [Fact]
    public async Task Completion_published_by_another_instance_finishes_the_job_here()
    {
        await using var provider = new ServiceCollection()
            .AddSingleton<JobStore>()
            .AddMassTransitTestHarness(x => x.AddConsumer<TrainingJobCompletedConsumer>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var store = provider.GetRequiredService<JobStore>();
        var job = store.Create("estimate");

        await harness.Bus.Publish(new TrainingJobCompleted
        {
            JobId = job.Id, Kind = "estimate", Succeeded = false, ErrorField = "run.cluster.count",
            ErrorReason = "must be positive",
        });

        Assert.True(await harness.Consumed.Any<TrainingJobCompleted>(m => m.Context.Message.JobId == job.Id));
        var after = store.Get(job.Id);
        Assert.Equal(JobStatus.Failed, after.Status);
        Assert.Equal("run.cluster.count", after.ErrorField);
    }

    [Fact]
    public async Task Completion_of_an_unknown_job_is_ignored()
    {
        await using var provider = new ServiceCollection()
            .AddSingleton<JobStore>()
            .AddMassTransitTestHarness(x => x.AddConsumer<TrainingJobCompletedConsumer>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var id = Guid.NewGuid();
        await harness.Bus.Publish(new TrainingJobCompleted
        {
            JobId = id, Kind = "estimate", Succeeded = true, ResultJson = "{}",
        });
        Assert.True(await harness.Consumed.Any<TrainingJobCompleted>(m => m.Context.Message.JobId == id));
        Assert.False(provider.GetRequiredService<JobStore>().TryGet(id, out _));
    }
}
