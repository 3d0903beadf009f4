using Platform.Jobs;

namespace Platform.Persistence.Tests;

/// <summary>Several instances (stores) on one database: a job finishes once, listings page through every job.</summary>
public sealed class SharedJobTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void A_job_cancelled_on_one_instance_stays_cancelled_when_the_instance_running_it_finishes(string provider)
    {
        using var database = new TestDatabase(provider);
        var runner = new JobStore(new JobStoreOptions(), null, database.Jobs());
        var other = new JobStore(new JobStoreOptions(), null, database.Jobs());
        var job = runner.Create("plan");
        using var run = runner.StartRun(job.Id, 0.05);

        var cancelled = other.Cancel(job.Id, "not needed");
        Assert.Equal(JobStatus.Cancelled, cancelled.Status);
        // The runner has not heard of it yet; its result does not overwrite the final row, it takes it instead.
        var end = runner.Update(job.Id, j => j with { Status = JobStatus.Succeeded, Progress = 1, Result = "late" });
        Assert.Equal((JobStatus.Cancelled, "not needed"), (end.Status, end.ErrorReason));
        Assert.Equal(0, runner.ActiveJobs);
        var stored = database.Jobs().Find(job.Id)!;
        Assert.Equal((JobStatus.Cancelled, null), (stored.Status, stored.Result));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void Two_instances_finishing_one_job_keep_the_first_result(string provider)
    {
        using var database = new TestDatabase(provider);
        var a = new JobStore(new JobStoreOptions(), null, database.Jobs());
        var b = new JobStore(new JobStoreOptions(), null, database.Jobs());
        var job = a.Create("estimate");
        Assert.True(b.Adopt(job.Id, "estimate")); // redelivered to b while a still runs it
        Assert.Equal(JobStatus.Queued, b.Get(job.Id).Status);
        a.Update(job.Id, j => j with { Status = JobStatus.Succeeded, Progress = 1, Result = "first" });
        var second = b.Update(job.Id, j => j with { Status = JobStatus.Succeeded, Progress = 1, Result = "second" });
        Assert.Equal("first", second.Result);
        Assert.Equal("first", database.Jobs().Find(job.Id)!.Result);
        Assert.False(new JobStore(new JobStoreOptions(), null, database.Jobs()).Adopt(job.Id, "estimate"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void Listing_pages_through_every_instances_jobs_newest_first(string provider)
    {
        using var database = new TestDatabase(provider);
        var time = new ManualTime();
        var a = new JobStore(new JobStoreOptions(), time, database.Jobs());
        var b = new JobStore(new JobStoreOptions(), time, database.Jobs());
        var ids = new List<Guid>();
        for (int i = 0; i < 7; i++)
        {
            ids.Add((i % 2 == 0 ? a : b).Create(i % 3 == 0 ? "plan" : "estimate").Id);
            if (i % 3 != 1) time.Now += TimeSpan.FromMilliseconds(1); // some jobs share a creation time
        }
        a.Update(ids[0], j => j with { Status = JobStatus.Succeeded, Progress = 1, Result = "r" });

        var seen = new List<JobSnapshot>();
        (DateTimeOffset, Guid)? after = null;
        for (int pages = 0; pages < 10; pages++)
        {
            var page = b.List(new JobQuery(null, null, 3, after), CancellationToken.None);
            seen.AddRange(page);
            if (page.Count < 3) break;
            after = (page[^1].CreatedAt, page[^1].Id);
        }
        Assert.Equal(ids.Order(), seen.Select(j => j.Id).Order());
        Assert.Equal(seen.OrderByDescending(j => j.CreatedAt), seen, new ByCreation());

        var plans = a.List(new JobQuery("plan", null, 10, null), CancellationToken.None);
        Assert.Equal(3, plans.Count);
        var done = Assert.Single(b.List(new JobQuery(null, JobStatus.Succeeded, 10, null), CancellationToken.None));
        Assert.Equal((ids[0], "r"), (done.Id, done.Result));
    }

    private sealed class ByCreation : IEqualityComparer<JobSnapshot>
    {
        public bool Equals(JobSnapshot? x, JobSnapshot? y) => x?.CreatedAt == y?.CreatedAt;
        public int GetHashCode(JobSnapshot obj) => obj.CreatedAt.GetHashCode();
    }
}
