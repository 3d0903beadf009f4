using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using Platform.Testing;
using Platform.Jobs;

namespace TrainingCost.Tests.Grpc;

/// <summary>The platform with job bounds small enough to reach in a test.</summary>
public sealed class JobLimitsFactory : PlatformFactory
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Training:MaxActiveJobs"] = "3",
        ["Training:MaxConcurrentWatches"] = "2",
    };
}

// Jobs that never run are adopted straight into the store (no bus message), so they stay queued: the bounds are
// reached deterministically, whatever the speed of the host.
public sealed class JobLimitRpcTests(JobLimitsFactory factory) : IClassFixture<JobLimitsFactory>
{
    private TrainingCostService.TrainingCostServiceClient Client => new(factory.Channel);

    private JobStore Store
    {
        get
        {
            _ = factory.Server; // start the host
            return factory.Services.GetRequiredService<JobStore>();
        }
    }

    private static TrainingRunSpec Run() => new()
    {
        Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
        SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
    };

    private async Task WaitFor(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++) await Task.Delay(25);
        Assert.True(condition());
    }

    [Fact]
    public async Task Watches_end_on_cancel_release_their_slot_and_are_bounded()
    {
        var id = Guid.NewGuid();
        Store.Adopt(id, "plan");
        try
        {
            using var cts = new CancellationTokenSource();
            using (var first = Client.WatchJob(new WatchJobRequest { JobId = id.ToString() },
                       cancellationToken: cts.Token))
            using (var second = Client.WatchJob(new WatchJobRequest { JobId = id.ToString() }))
            {
                Assert.True(await first.ResponseStream.MoveNext(CancellationToken.None));
                Assert.True(await second.ResponseStream.MoveNext(CancellationToken.None));
                Assert.Equal(2, Store.ActiveWatches);
                var e = await GrpcAssert.FailsWith(StatusCode.ResourceExhausted, "job_id", async () =>
                {
                    using var third = Client.WatchJob(new WatchJobRequest { JobId = id.ToString() });
                    await third.ResponseStream.MoveNext(CancellationToken.None);
                });
                Assert.Contains("MaxConcurrentWatches", e.Status.Detail);

                await cts.CancelAsync();
                await WaitFor(() => Store.ActiveWatches == 1);
            }
            await WaitFor(() => Store.ActiveWatches == 0);
            // The job was not cancelled with its watchers.
            Assert.Equal(JobState.Queued, (await Client.GetJobAsync(new GetJobRequest { JobId = id.ToString() }))
                .Job.State);
        }
        finally
        {
            Store.Update(id, j => j with { Status = JobStatus.Failed, Message = "test over" });
        }
    }

    [Fact]
    public async Task Submissions_past_the_active_job_limit_are_resource_exhausted()
    {
        var held = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in held) Store.Adopt(id, "plan");
        try
        {
            var e = await GrpcAssert.FailsWith(StatusCode.ResourceExhausted, "job", () =>
                Client.SubmitPlanJobAsync(new SubmitPlanJobRequest { Run = Run() }).ResponseAsync);
            Assert.Contains("MaxActiveJobs", e.Status.Detail);
            await GrpcAssert.FailsWith(StatusCode.ResourceExhausted, "job", () =>
                Client.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = Run() }).ResponseAsync);
        }
        finally
        {
            foreach (var id in held) Store.Update(id, j => j with { Status = JobStatus.Failed, Message = "test over" });
        }
        // A finished job frees its slot.
        var ok = await Client.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = Run() });
        Assert.True(Guid.TryParse(ok.JobId, out _));
    }

    [Fact]
    public async Task Unknown_jobs_are_not_found_for_get_and_watch()
    {
        var id = Guid.NewGuid().ToString();
        var e = await GrpcAssert.FailsWith(StatusCode.NotFound, "job_id",
            () => Client.GetJobAsync(new GetJobRequest { JobId = id }).ResponseAsync);
        Assert.Contains("kept for", e.Status.Detail);
        await GrpcAssert.FailsWith(StatusCode.NotFound, "job_id", async () =>
        {
            using var watch = Client.WatchJob(new WatchJobRequest { JobId = id });
            await watch.ResponseStream.MoveNext(CancellationToken.None);
        });
        Assert.Equal(0, Store.ActiveWatches);
    }
}
