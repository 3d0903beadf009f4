using Platform.Modeling.Errors;
using Platform.Jobs;

namespace Platform.Jobs.Tests;

public sealed class JobStoreTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static JobSnapshot Finish(JobStore store, Guid id) =>
        store.Update(id, j => j with { Status = JobStatus.Succeeded, Progress = 1, Message = "done" });

    [Fact]
    public void Submissions_past_the_active_limit_are_refused_until_a_job_finishes()
    {
        var store = new JobStore(new JobStoreOptions { MaxActiveJobs = 2 });
        var a = store.Create("plan");
        store.Create("plan");
        var e = Assert.Throws<LimitExceededException>(() => store.Create("plan"));
        Assert.Contains("Jobs:MaxActiveJobs = 2", e.Reason);
        Assert.Equal(2, store.ActiveJobs);

        Finish(store, a.Id);
        Finish(store, a.Id); // a finished job is not finished twice
        Assert.Equal(1, store.ActiveJobs);
        store.Create("estimate");
        Assert.Throws<LimitExceededException>(() => store.Create("estimate"));
    }

    [Fact]
    public void A_discarded_job_is_forgotten_and_frees_its_active_slot()
    {
        var store = new JobStore(new JobStoreOptions { MaxActiveJobs = 1 });
        var job = store.Create("estimate");
        store.Discard(job.Id);
        store.Discard(job.Id); // twice: nothing more to forget
        Assert.Equal(0, store.ActiveJobs);
        Assert.Equal(0, store.Count);
        Assert.Throws<NotFoundException>(() => store.Get(job.Id));
        store.Create("estimate"); // the slot is free again
    }

    [Fact]
    public void Finished_jobs_beyond_the_retained_count_are_evicted_oldest_first()
    {
        var store = new JobStore(new JobStoreOptions { MaxRetainedJobs = 2 });
        var ids = Enumerable.Range(0, 3).Select(_ => store.Create("estimate").Id).ToList();
        foreach (var id in ids) Finish(store, id);

        var e = Assert.Throws<NotFoundException>(() => store.Get(ids[0]));
        Assert.Equal("job_id", e.Field);
        Assert.Contains("kept for 1 h", e.Reason);
        Assert.Equal(JobStatus.Succeeded, store.Get(ids[1]).Status);
        Assert.Equal(JobStatus.Succeeded, store.Get(ids[2]).Status);
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public void Finished_jobs_are_evicted_after_the_retention_time_and_running_ones_are_not()
    {
        var time = new ManualTime();
        var store = new JobStore(new JobStoreOptions { JobRetention = TimeSpan.FromMinutes(10) }, time);
        var done = store.Create("estimate");
        var running = store.Create("plan");
        Finish(store, done.Id);

        time.Now += TimeSpan.FromMinutes(9);
        store.Create("estimate");
        Assert.True(store.TryGet(done.Id, out _));
        time.Now += TimeSpan.FromMinutes(2);
        store.Create("estimate");
        Assert.False(store.TryGet(done.Id, out _));
        Assert.Contains("kept for 10 min", Assert.Throws<NotFoundException>(() => store.Watch(done.Id)).Reason);
        Assert.Equal(JobStatus.Queued, store.Get(running.Id).Status);
    }

    [Fact]
    public async Task A_cancelled_watch_releases_its_slot_and_the_job_runs_on()
    {
        var store = new JobStore(new JobStoreOptions { MaxConcurrentWatches = 2 });
        var job = store.Create("plan");
        using var cts = new CancellationTokenSource();
        Task<JobSnapshot> waiting;
        using (var watch = store.Watch(job.Id))
        {
            Assert.Equal(1, store.ActiveWatches);
            waiting = watch.NextAsync(cts.Token);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }
        Assert.Equal(0, store.ActiveWatches);

        store.Update(job.Id, j => j with { Status = JobStatus.Running, Progress = 0.5 });
        Assert.Equal(JobStatus.Succeeded, Finish(store, job.Id).Status);
        Assert.Equal(0, store.ActiveJobs);
    }

    [Fact]
    public async Task A_watch_sees_each_change_until_the_job_finishes()
    {
        var store = new JobStore();
        var job = store.Create("plan");
        using var watch = store.Watch(job.Id);
        var next = watch.NextAsync(CancellationToken.None);
        Assert.False(next.IsCompleted);
        store.Update(job.Id, j => j with { Status = JobStatus.Running });
        Assert.Equal(JobStatus.Running, (await next.WaitAsync(TimeSpan.FromSeconds(5))).Status);
        Finish(store, job.Id);
        Assert.True((await watch.NextAsync(CancellationToken.None)).Finished);
    }

    [Fact]
    public void Watches_past_the_limit_are_refused_and_unknown_jobs_are_not_found()
    {
        var store = new JobStore(new JobStoreOptions { MaxConcurrentWatches = 2 });
        var job = store.Create("plan");
        using var a = store.Watch(job.Id);
        using var b = store.Watch(job.Id);
        var e = Assert.Throws<LimitExceededException>(() => store.Watch(job.Id));
        Assert.Contains("Jobs:MaxConcurrentWatches = 2", e.Reason);
        Assert.Equal(2, store.ActiveWatches);
        b.Dispose();
        b.Dispose(); // disposing twice releases once
        Assert.Equal(1, store.ActiveWatches);
        using var c = store.Watch(job.Id);
        Assert.Throws<NotFoundException>(() => store.Watch(Guid.NewGuid()));
        Assert.Equal(2, store.ActiveWatches);
    }
}
