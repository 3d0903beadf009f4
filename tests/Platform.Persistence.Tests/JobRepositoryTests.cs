using Microsoft.EntityFrameworkCore;
using Platform.Modeling.Errors;
using Platform.Jobs;

namespace Platform.Persistence.Tests;

/// <summary>The job store written through to the database: a new store on the same database is a restart.</summary>
public sealed class JobRepositoryTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static JobSnapshot Succeed(JobStore store, Guid id, string result) => store.Update(id,
        j => j with { Status = JobStatus.Succeeded, Progress = 1, Message = "done", Result = result });

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void A_finished_job_and_its_result_survive_a_restart(string provider)
    {
        using var database = new TestDatabase(provider);
        var before = new JobStore(new JobStoreOptions(), null, database.Jobs());
        var ok = before.Create("estimate");
        var bad = before.Create("plan");
        before.Update(ok.Id, j => j with { Status = JobStatus.Running, Progress = 0.5, Message = "running" });
        Succeed(before, ok.Id, "the estimate");
        before.Update(bad.Id, j => j with
        {
            Status = JobStatus.Failed,
            Message = "failed",
            ErrorField = "run.cluster.count",
            ErrorReason = "too few",
        });

        var after = new JobStore(new JobStoreOptions(), null, database.Jobs());
        Assert.Equal((0, 2), after.Recover(failUnfinished: true, CancellationToken.None));
        var kept = after.Get(ok.Id);
        Assert.Equal(JobStatus.Succeeded, kept.Status);
        Assert.Equal(1, kept.Progress);
        Assert.Equal("done", kept.Message);
        Assert.Equal("estimate", kept.Kind);
        Assert.Equal("the estimate", kept.Result);
        var failed = after.Get(bad.Id);
        Assert.Equal((JobStatus.Failed, "run.cluster.count", "too few"),
            (failed.Status, failed.ErrorField, failed.ErrorReason));
        Assert.Null(failed.Result);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void A_job_left_unfinished_by_a_restart_fails_saying_so_unless_it_will_be_redelivered(string provider)
    {
        using var database = new TestDatabase(provider);
        var before = new JobStore(new JobStoreOptions(), null, database.Jobs());
        var queued = before.Create("estimate");
        var running = before.Create("estimate");
        before.Update(running.Id, j => j with { Status = JobStatus.Running, Message = "running", Progress = 0.3 });

        // RabbitMQ redelivers the work: the jobs stay as they are, and the redelivered job is adopted and run.
        var redelivered = new JobStore(new JobStoreOptions(), null, database.Jobs());
        Assert.Equal((0, 0), redelivered.Recover(failUnfinished: false, CancellationToken.None));
        Assert.Equal(JobStatus.Running, redelivered.Get(running.Id).Status);

        var after = new JobStore(new JobStoreOptions(), null, database.Jobs());
        Assert.Equal((2, 2), after.Recover(failUnfinished: true, CancellationToken.None));
        foreach (var id in new[] { queued.Id, running.Id })
        {
            var job = after.Get(id);
            Assert.Equal(JobStatus.Failed, job.Status);
            Assert.Equal(JobStore.RestartedReason, job.ErrorReason);
            Assert.Contains("restarted", job.Message);
        }
        // A failed job is finished: a late redelivery does not run it again.
        Assert.False(after.Adopt(running.Id, "estimate"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void Progress_is_written_in_steps_and_state_changes_at_once(string provider)
    {
        using var database = new TestDatabase(provider);
        var repo = database.Jobs();
        var store = new JobStore(new JobStoreOptions(), null, repo);
        var job = store.Create("plan");
        store.Update(job.Id, j => j with { Status = JobStatus.Running, Message = "running", Progress = 0.05 });
        store.Update(job.Id, j => j with { Progress = 0.06 });
        Assert.Equal(0.05, repo.Find(job.Id)!.Progress);
        Assert.Equal(0.06, store.Get(job.Id).Progress);
        store.Update(job.Id, j => j with { Progress = 0.2 });
        Assert.Equal(0.2, repo.Find(job.Id)!.Progress);
        Assert.Equal(JobStatus.Running, repo.Find(job.Id)!.Status);
        Assert.Null(repo.Find(job.Id)!.FinishedAt);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void Eviction_deletes_rows_by_count_and_by_age_also_after_a_restart(string provider)
    {
        using var database = new TestDatabase(provider);
        var repo = database.Jobs();
        var time = new ManualTime();
        var options = new JobStoreOptions { MaxRetainedJobs = 2, JobRetention = TimeSpan.FromHours(1) };
        var store = new JobStore(options, time, repo);
        var ids = new List<Guid>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add(store.Create("estimate").Id);
            time.Now += TimeSpan.FromMinutes(1);
            Succeed(store, ids[^1], $"r{i}");
        }
        // The oldest is beyond the retained count: gone from memory and from the table.
        Assert.Null(repo.Find(ids[0]));
        Assert.Throws<NotFoundException>(() => store.Get(ids[0]));
        Assert.NotNull(repo.Find(ids[1]));

        // A restart an hour and a half later: both remaining jobs are past the retention.
        time.Now += TimeSpan.FromMinutes(90);
        var after = new JobStore(options, time, repo);
        Assert.Throws<NotFoundException>(() => after.Get(ids[2])); // past retention even before recovery runs
        Assert.Equal((0, 0), after.Recover(failUnfinished: true, CancellationToken.None));
        Assert.Null(repo.Find(ids[1]));
        Assert.Null(repo.Find(ids[2]));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_watch_of_a_job_held_only_in_the_database_sees_it_finish(string provider)
    {
        using var database = new TestDatabase(provider);
        var runner = new JobStore(new JobStoreOptions(), null, database.Jobs());
        var job = runner.Create("estimate");
        // Another instance on the same database, which does not hold the job.
        var other = new JobStore(new JobStoreOptions(), null, database.Jobs())
        {
            StoredJobPollInterval = TimeSpan.FromMilliseconds(20),
        };
        using var watch = other.Watch(job.Id);
        Assert.Equal(JobStatus.Queued, watch.Current.Status);
        var next = watch.NextAsync(CancellationToken.None);
        Succeed(runner, job.Id, "r");
        var seen = await next.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(JobStatus.Succeeded, seen.Status);
        Assert.Equal("r", seen.Result);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_job_accepted_here_and_run_by_another_instance_reads_as_the_database_has_it(string provider)
    {
        using var database = new TestDatabase(provider);
        var accepting = new JobStore(new JobStoreOptions(), null, database.Jobs())
        {
            StoredJobPollInterval = TimeSpan.FromMilliseconds(20),
        };
        var job = accepting.Create("estimate");
        using var watch = accepting.Watch(job.Id);
        // Another instance on the same database takes the job from the queue and runs it.
        var running = new JobStore(new JobStoreOptions(), null, database.Jobs());
        Assert.True(running.Adopt(job.Id, "estimate"));
        running.Update(job.Id, j => j with { Status = JobStatus.Running, Progress = 0.5 });
        // Before the outcome comes back on the bus, the accepting instance answers what the database holds.
        Assert.Equal(0.5, (await watch.NextAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)))
            .Progress);
        Succeed(running, job.Id, "r");
        Assert.Equal(JobStatus.Succeeded, accepting.Get(job.Id).Status);
        Assert.Equal("r", (await watch.NextAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)))
            .Result);
        Assert.Equal(1, accepting.ActiveJobs); // still its own until the outcome arrives (TrainingJobCompleted)
        Succeed(accepting, job.Id, "r");
        Assert.Equal(0, accepting.ActiveJobs);
    }

    [Fact]
    public void A_database_that_cannot_be_reached_is_a_dependency_unavailable()
    {
        using var database = new TestDatabase("sqlite");
        // A folder cannot be opened as a database file.
        string folder = Directory.CreateTempSubdirectory("platform-not-a-db-").FullName;
        try
        {
            var broken = new EfJobRepository(new BrokenContexts(folder), new TextResultCodec(),
                Microsoft.Extensions.Logging.Abstractions.NullLogger<EfJobRepository>.Instance);
            var store = new JobStore(new JobStoreOptions(), null, broken);
            var e = Assert.Throws<DependencyUnavailableException>(() => store.Create("estimate"));
            Assert.Equal("database", e.Field);
            Assert.Equal(0, store.ActiveJobs);
        }
        finally { Directory.Delete(folder); }
    }

    [Fact]
    public void A_postgres_server_that_does_not_answer_is_a_dependency_unavailable()
    {
        var nowhere = new Contexts(() => new PostgresPlatformDbContext(
            new DbContextOptionsBuilder<PostgresPlatformDbContext>()
                .UseNpgsql("Host=127.0.0.1;Port=1;Username=platform;Timeout=2").Options));
        var jobs = new JobStore(new JobStoreOptions(), null, new EfJobRepository(nowhere, new TextResultCodec(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<EfJobRepository>.Instance));
        Assert.Equal("database", Assert.Throws<DependencyUnavailableException>(() => jobs.Create("plan")).Field);
        Assert.Equal("database",
            Assert.Throws<DependencyUnavailableException>(() => jobs.Get(Guid.NewGuid())).Field);
        var devices = new EfCustomDeviceStore(nowhere,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<EfCustomDeviceStore>.Instance);
        Assert.Throws<DependencyUnavailableException>(() => devices.Count("alice"));
    }

    [Fact]
    public void A_transient_failure_npgsql_wraps_is_a_database_failure()
    {
        var wrapped = new InvalidOperationException("An exception has been raised that is likely due to a transient "
            + "failure.", new TimeoutException("the server went away"));
        Assert.True(Db.IsDatabaseFailure(wrapped));
        Assert.False(Db.IsDatabaseFailure(new InvalidOperationException("a bug")));
    }

    private sealed class Contexts(Func<PlatformDbContext> create) : IDbContextFactory<PlatformDbContext>
    {
        public PlatformDbContext CreateDbContext() => create();
    }

    private sealed class BrokenContexts(string folder)
        : Microsoft.EntityFrameworkCore.IDbContextFactory<PlatformDbContext>
    {
        public PlatformDbContext CreateDbContext() => new SqlitePlatformDbContext(
            Microsoft.EntityFrameworkCore.SqliteDbContextOptionsBuilderExtensions.UseSqlite(
                new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<SqlitePlatformDbContext>(),
                $"Data Source={folder};Mode=ReadOnly").Options);
    }
}

/// <summary>Readiness follows the database.</summary>
public sealed class DatabaseHealthCheckTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_database_that_answers_is_healthy(string provider)
    {
        using var database = new TestDatabase(provider);
        var result = await new DatabaseHealthCheck(database.Contexts).CheckHealthAsync(new());
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, result.Status);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_is_unhealthy()
    {
        var nowhere = new TestContexts(() => new PostgresPlatformDbContext(
            new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<PostgresPlatformDbContext>()
                .UseNpgsql("Host=127.0.0.1;Port=1;Username=platform;Timeout=2").Options));
        var result = await new DatabaseHealthCheck(nowhere).CheckHealthAsync(new());
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, result.Status);
        Assert.Contains("cannot be reached", result.Description);
    }

    private sealed class TestContexts(Func<PlatformDbContext> create)
        : Microsoft.EntityFrameworkCore.IDbContextFactory<PlatformDbContext>
    {
        public PlatformDbContext CreateDbContext() => create();
    }
}
