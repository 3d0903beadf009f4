namespace Platform.Jobs.Tests;

/// <summary>Cancelling jobs and listing them, on the in-memory store.</summary>
public sealed class JobStoreRunTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Cancelling_a_queued_job_ends_it_cancelled_and_frees_its_slot()
    {
        var store = new JobStore(new JobStoreOptions { MaxActiveJobs = 1 });
        var job = store.Create("estimate");
        var cancelled = store.Cancel(job.Id, "not needed");
        Assert.Equal((JobStatus.Cancelled, "not needed", "Cancelled"),
            (cancelled.Status, cancelled.ErrorReason, cancelled.ErrorCode));
        Assert.True(cancelled.Finished);
        Assert.NotNull(cancelled.FinishedAt);
        Assert.Equal(0, store.ActiveJobs);
        store.Create("estimate"); // the slot is free again
    }

    [Fact]
    public void Cancelling_a_running_job_cancels_its_work_and_later_updates_do_not_revive_it()
    {
        var store = new JobStore();
        var job = store.Create("plan");
        using var run = store.StartRun(job.Id, 0.05);
        Assert.Equal(JobStatus.Running, store.Get(job.Id).Status);
        Assert.False(run.Token.IsCancellationRequested);

        store.Cancel(job.Id, "changed my mind");
        Assert.True(run.Token.IsCancellationRequested);
        Assert.True(run.CancelledByCaller);
        // The work got to the end anyway: the job stays cancelled.
        var after = store.Update(job.Id, j => j with { Status = JobStatus.Succeeded, Result = "late" });
        Assert.Equal(JobStatus.Cancelled, after.Status);
        Assert.Null(after.Result);
    }

    [Fact]
    public void A_run_stopped_by_the_host_is_not_a_cancellation_by_the_caller()
    {
        var store = new JobStore();
        var job = store.Create("plan");
        using var stopping = new CancellationTokenSource();
        using var run = store.StartRun(job.Id, 0.05, stopping.Token);
        stopping.Cancel();
        Assert.True(run.Token.IsCancellationRequested);
        Assert.False(run.CancelledByCaller);
    }

    [Fact]
    public void Cancelling_a_finished_job_returns_it_unchanged_and_a_cancel_event_for_it_is_ignored()
    {
        var store = new JobStore();
        var job = store.Create("estimate");
        var done = store.Update(job.Id, j => j with { Status = JobStatus.Succeeded, Progress = 1, Result = "r" });
        Assert.Equal(done, store.Cancel(job.Id, "too late"));
        Assert.False(store.CancelRun(job.Id, "too late")); // not running here
    }

    [Fact]
    public void A_job_cancelled_before_its_work_starts_starts_with_its_token_cancelled()
    {
        var store = new JobStore();
        var job = store.Create("estimate");
        store.Cancel(job.Id, "before it ran");
        using var run = store.StartRun(job.Id, 0.05);
        Assert.True(run.Token.IsCancellationRequested);
        Assert.Equal(JobStatus.Cancelled, store.Get(job.Id).Status);
    }

    [Fact]
    public void Listing_pages_newest_first_with_kind_and_state_filters()
    {
        var time = new ManualTime();
        var store = new JobStore(new JobStoreOptions(), time);
        var created = new List<JobSnapshot>();
        for (int i = 0; i < 5; i++)
        {
            created.Add(store.Create(i % 2 == 0 ? "estimate" : "plan"));
            if (i != 3) time.Now += TimeSpan.FromSeconds(1); // jobs 3 and 4 share a creation time
        }
        store.Update(created[4].Id, j => j with { Status = JobStatus.Succeeded });

        var all = store.List(new JobQuery(null, null, 10, null), CancellationToken.None);
        Assert.Equal(5, all.Count);
        Assert.Equal(all.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id), all);

        var pages = new List<Guid>();
        (DateTimeOffset, Guid)? after = null;
        while (true)
        {
            var page = store.List(new JobQuery(null, null, 2, after), CancellationToken.None);
            pages.AddRange(page.Select(j => j.Id));
            if (page.Count < 2) break;
            after = (page[^1].CreatedAt, page[^1].Id);
        }
        Assert.Equal(all.Select(j => j.Id), pages); // every job once, ties on the creation time included

        var estimates = store.List(new JobQuery("estimate", null, 10, null), CancellationToken.None);
        Assert.Equal(3, estimates.Count);
        Assert.All(estimates, j => Assert.Equal("estimate", j.Kind));
        var succeeded = Assert.Single(store.List(new JobQuery(null, JobStatus.Succeeded, 10, null),
            CancellationToken.None));
        Assert.Equal(created[4].Id, succeeded.Id);
    }
}
