using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Jobs.V1;
using Job = Platform.Contracts.Jobs.V1.Job;
using Platform.Contracts.Messaging;
using Cluster = Platform.Contracts.Training.V1.Cluster;
using SubmitEstimateJobRequest = Platform.Contracts.Training.V1.SubmitEstimateJobRequest;
using TrainingCostService = Platform.Contracts.Training.V1.TrainingCostService;
using TrainingRunSpec = Platform.Contracts.Training.V1.TrainingRunSpec;
using Platform.Jobs;
using Platform.Testing;
using CommonJobState = Platform.Contracts.Common.V1.JobState;
using ModelSpec = Platform.Contracts.Common.V1.ModelSpec;

namespace Platform.ServiceDefaults.Tests.Jobs;

/// <summary>platform.jobs.v1.JobService on the whole platform in-process: every job kind through one API.</summary>
public sealed class JobGrpcServiceTests : IDisposable
{
    private readonly PlatformFactory _factory = new();
    private JobService.JobServiceClient Client => new(_factory.Channel);
    private JobStore Store => _factory.Services.GetRequiredService<JobStore>();

    public void Dispose() => _factory.Dispose();

    private async Task<Job> WaitFinished(string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = (await Client.GetJobAsync(new GetJobRequest { JobId = id })).Job;
            if (job.FinishedAt is not null) return job;
            Assert.True(DateTime.UtcNow < deadline, $"job {id} still {job.State}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_training_estimate_and_a_kernel_batch_are_answered_by_the_one_job_api()
    {
        var training = new TrainingCostService.TrainingCostServiceClient(_factory.Channel);
        string estimateId = (await training.SubmitEstimateJobAsync(new SubmitEstimateJobRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
                SequenceLength = 4096, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 512 },
            },
        })).JobId;
        var batchId = Guid.NewGuid();
        await _factory.Services.GetRequiredService<IBus>().Publish(new SubmitKernelBatch
        {
            JobId = batchId, Device = "h800",
            KernelsJson =
            [
                """{"kernel":{"gemm":{"m":64,"n":64,"k":64}},"dtype":"DTYPE_BF16","seed":1}""",
                """{"kernel":{"gemm":{"m":4096,"n":4096,"k":4096}},"dtype":"DTYPE_BF16","execute":false}""",
            ],
        });

        var estimate = await WaitFinished(estimateId);
        Assert.Equal(("estimate", CommonJobState.Succeeded), (estimate.Kind, estimate.State));
        Assert.True(estimate.TrainingEstimate.AcceleratorHours > 0);
        Assert.True(estimate.FinishedAt.ToDateTimeOffset() >= estimate.CreatedAt.ToDateTimeOffset());
        var batch = await WaitFinished(batchId.ToString());
        Assert.Equal(("kernel-batch", CommonJobState.Succeeded), (batch.Kind, batch.State));
        Assert.Equal(2, batch.KernelBatch.Results.Count);
        Assert.True(batch.KernelBatch.Results[0].Executed);
        Assert.Equal(batch.KernelBatch.Results.Sum(r => r.Timing.DeviceSeconds), batch.KernelBatch.TotalDeviceSeconds,
            1e-12);

        var kernels = await Client.ListJobsAsync(new ListJobsRequest { Kind = "kernel-batch" });
        Assert.Equal(batchId.ToString(), Assert.Single(kernels.Jobs).JobId);
        var succeeded = await Client.ListJobsAsync(new ListJobsRequest { State = CommonJobState.Succeeded });
        Assert.Equal(2, succeeded.Jobs.Count);
    }

    [Fact]
    public async Task A_kernel_batch_that_fails_names_its_field_and_code()
    {
        var id = Guid.NewGuid();
        await _factory.Services.GetRequiredService<IBus>().Publish(new SubmitKernelBatch
        {
            JobId = id, Device = "no-such-device",
            KernelsJson = ["""{"kernel":{"gemm":{"m":8,"n":8,"k":8}},"dtype":"DTYPE_BF16","execute":false}"""],
        });
        var job = await WaitFinished(id.ToString());
        Assert.Equal(CommonJobState.Failed, job.State);
        Assert.Equal("NOT_FOUND", job.Error.Code);
        Assert.StartsWith("kernels[0]", job.Error.Field);
    }

    [Fact]
    public async Task Listing_pages_newest_first_and_refuses_tokens_it_did_not_issue()
    {
        var ids = Enumerable.Range(0, 5).Select(i => Store.Create(i < 3 ? "estimate" : "plan").Id.ToString()).ToList();
        var pages = new List<string>();
        string token = "";
        do
        {
            var page = await Client.ListJobsAsync(new ListJobsRequest { PageSize = 2, PageToken = token });
            Assert.True(page.Jobs.Count <= 2);
            pages.AddRange(page.Jobs.Select(j => j.JobId));
            token = page.NextPageToken;
        } while (token != "");
        Assert.Equal(ids.Order(), pages.Order());
        Assert.Equal(ids[^1], pages[0]); // newest first
        var plans = await Client.ListJobsAsync(new ListJobsRequest { Kind = "plan", State = CommonJobState.Queued });
        Assert.Equal(2, plans.Jobs.Count);

        await GrpcAssert.InvalidField("page_token",
            () => Client.ListJobsAsync(new ListJobsRequest { PageToken = "not-a-token" }).ResponseAsync);
        await GrpcAssert.InvalidField("page_size",
            () => Client.ListJobsAsync(new ListJobsRequest { PageSize = -1 }).ResponseAsync);
    }

    [Fact]
    public async Task Cancelling_a_running_job_stops_its_work_and_a_finished_job_is_returned_unchanged()
    {
        var job = Store.Create("plan");
        using var run = Store.StartRun(job.Id, 0.05); // the work, as a consumer runs it
        var cancelled = (await Client.CancelJobAsync(new CancelJobRequest
        {
            JobId = job.Id.ToString(),
            Reason = "wrong cluster"
        })).Job;
        Assert.Equal(CommonJobState.Cancelled, cancelled.State);
        Assert.Equal(("CANCELLED", "wrong cluster"), (cancelled.Error.Code, cancelled.Error.Reason));
        Assert.True(run.Token.IsCancellationRequested);

        var again = (await Client.CancelJobAsync(new CancelJobRequest { JobId = job.Id.ToString() })).Job;
        Assert.Equal(cancelled, again);
        await GrpcAssert.FailsWith(StatusCode.NotFound, "job_id",
            () => Client.CancelJobAsync(new CancelJobRequest { JobId = Guid.NewGuid().ToString() }).ResponseAsync);
        await GrpcAssert.InvalidField("reason", () => Client.CancelJobAsync(new CancelJobRequest
        {
            JobId = job.Id.ToString(), Reason = new string('x', 5000),
        }).ResponseAsync);
    }

    [Fact]
    public async Task A_watch_sees_the_current_state_first_then_every_change_until_the_job_ends()
    {
        var job = Store.Create("estimate");
        using var call = Client.WatchJob(new WatchJobRequest { JobId = job.Id.ToString() });
        var stream = call.ResponseStream;
        Assert.True(await stream.MoveNext(CancellationToken.None));
        Assert.Equal(CommonJobState.Queued, stream.Current.Job.State);
        Store.Update(job.Id, j => j with { Status = JobStatus.Running, Progress = 0.5, Message = "running" });
        Assert.True(await stream.MoveNext(CancellationToken.None));
        Assert.Equal((CommonJobState.Running, 0.5), (stream.Current.Job.State, stream.Current.Job.Progress));

        // A watcher that reconnects resumes from the current state.
        using (var again = Client.WatchJob(new WatchJobRequest { JobId = job.Id.ToString() }))
        {
            Assert.True(await again.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(0.5, again.ResponseStream.Current.Job.Progress);
        }
        Store.Cancel(job.Id, "stop");
        Assert.True(await stream.MoveNext(CancellationToken.None));
        Assert.Equal(CommonJobState.Cancelled, stream.Current.Job.State);
        Assert.False(await stream.MoveNext(CancellationToken.None)); // the stream ends with the job
    }

    [Fact]
    public async Task Job_ids_are_checked()
    {
        await GrpcAssert.InvalidField("job_id", () => Client.GetJobAsync(new GetJobRequest()).ResponseAsync);
        await GrpcAssert.InvalidField("job_id",
            () => Client.GetJobAsync(new GetJobRequest { JobId = "nope" }).ResponseAsync);
        await GrpcAssert.FailsWith(StatusCode.NotFound, "job_id",
            () => Client.GetJobAsync(new GetJobRequest { JobId = Guid.NewGuid().ToString() }).ResponseAsync);
    }
}
