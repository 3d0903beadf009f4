using Platform.Modeling.Errors;

namespace Platform.Jobs.Tests;

/// <summary>Queueing a job: recorded, handed off with its id, and forgotten again when the hand-off fails.</summary>
public sealed class JobStoreQueueTests
{
    [Fact]
    public async Task A_handed_off_job_stays_queued_under_the_id_the_hand_off_was_given()
    {
        var store = new JobStore();
        Guid handedOff = Guid.Empty;
        var job = await store.QueueAsync("estimate", (id, _) =>
        {
            handedOff = id;
            return Task.CompletedTask;
        }, CancellationToken.None);
        Assert.Equal(job.Id, handedOff);
        Assert.Equal(("estimate", JobStatus.Queued), (store.Get(job.Id).Kind, store.Get(job.Id).Status));
        Assert.Equal(1, store.ActiveJobs);
    }

    [Fact]
    public async Task A_failed_hand_off_leaves_no_job_and_frees_its_slot()
    {
        var store = new JobStore(new JobStoreOptions { MaxActiveJobs = 1 });
        Guid handedOff = Guid.Empty;
        var failure = new DependencyUnavailableException("message bus", "unreachable");
        var thrown = await Assert.ThrowsAsync<DependencyUnavailableException>(() => store.QueueAsync("simulation",
            (id, _) =>
            {
                handedOff = id;
                throw failure;
            }, CancellationToken.None));
        Assert.Same(failure, thrown);
        Assert.False(store.TryGet(handedOff, out _));
        Assert.Equal((0, 0), (store.ActiveJobs, store.Count));
        await store.QueueAsync("simulation", (_, _) => Task.CompletedTask, CancellationToken.None); // slot is free
    }

    [Fact]
    public async Task A_cancelled_hand_off_leaves_no_job()
    {
        var store = new JobStore();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            store.QueueAsync("capacity-plan", (_, ct) => Task.Delay(Timeout.Infinite, ct), cts.Token));
        Assert.Equal((0, 0), (store.ActiveJobs, store.Count));
    }

    [Fact]
    public async Task Past_the_active_limit_nothing_is_handed_off()
    {
        var store = new JobStore(new JobStoreOptions { MaxActiveJobs = 1 });
        await store.QueueAsync("plan", (_, _) => Task.CompletedTask, CancellationToken.None);
        bool called = false;
        await Assert.ThrowsAsync<LimitExceededException>(() => store.QueueAsync("plan", (_, _) =>
        {
            called = true;
            return Task.CompletedTask;
        }, CancellationToken.None));
        Assert.False(called);
        Assert.Equal(1, store.Count);
    }
}
