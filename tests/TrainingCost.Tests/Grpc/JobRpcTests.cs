using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Messaging;
using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace TrainingCost.Tests.Grpc;

public sealed class JobRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private TrainingCostService.TrainingCostServiceClient Client => new(factory.Channel);

    private static SubmitEstimateJobRequest Run() => new()
    {
        Run = new TrainingRunSpec
        {
            Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
            SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
            PricePerAcceleratorHourUsd = 2,
        },
    };

    [Fact]
    public async Task Estimate_job_runs_over_the_bus_and_watch_streams_it_to_success()
    {
        var id = (await Client.SubmitEstimateJobAsync(Run())).JobId;
        Assert.True(Guid.TryParse(id, out _));
        using var call = Client.WatchJob(new WatchJobRequest { JobId = id }, deadline: DateTime.UtcNow.AddSeconds(30));
        var updates = new List<Job>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) updates.Add(call.ResponseStream.Current.Job);
        var last = updates[^1];
        Assert.Equal(JobState.Succeeded, last.State);
        Assert.Equal(1, last.Progress);
        Assert.True(last.Estimate.AcceleratorHours > 0);
        for (int i = 1; i < updates.Count; i++) Assert.True(updates[i].Progress >= updates[i - 1].Progress);
        var got = (await Client.GetJobAsync(new GetJobRequest { JobId = id })).Job;
        Assert.Equal(last.Estimate.AcceleratorHours, got.Estimate.AcceleratorHours);
        // The same run estimated directly gives the same answer.
        var direct = await Client.EstimateTrainingRunAsync(new EstimateTrainingRunRequest { Run = Run().Run });
        Assert.Equal(direct.AcceleratorHours, got.Estimate.AcceleratorHours, 1e-9 * direct.AcceleratorHours);
    }

    [Fact]
    public async Task Plan_job_returns_the_top_plans_and_publishes_a_completion_event()
    {
        var harnessBus = factory.Services.GetRequiredService<IBus>();
        var completed =
            new TaskCompletionSource<TrainingJobCompleted>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = harnessBus.ConnectReceiveEndpoint("training-job-completed-test-" + Guid.NewGuid().ToString("N"),
            e =>
                e.Handler<TrainingJobCompleted>(ctx =>
                {
                    completed.TrySetResult(ctx.Message);
                    return Task.CompletedTask;
                }));
        await handle.Ready;
        try
        {
            var request = new SubmitPlanJobRequest
            {
                Run = new TrainingRunSpec
                {
                    Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
                    SequenceLength = 8192, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 64 },
                },
                TopK = 2,
            };
            var id = (await Client.SubmitPlanJobAsync(request)).JobId;
            var evt = await completed.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(id, evt.JobId.ToString());
            Assert.True(evt.Succeeded);
            Assert.Contains("\"plans\"", evt.ResultJson);
            var job = (await Client.GetJobAsync(new GetJobRequest { JobId = id })).Job;
            Assert.Equal(JobState.Succeeded, job.State);
            Assert.Equal(2, job.Plan.Plans.Count);
        }
        finally
        {
            await handle.StopAsync();
        }
    }

    [Fact]
    public async Task Job_whose_model_fits_no_plan_fails_with_the_reason()
    {
        var request = Run();
        request.Run.Model = new ModelSpec { Preset = "llama-3.1-405b" };
        request.Run.Cluster.Count = 2;
        var id = (await Client.SubmitEstimateJobAsync(request)).JobId;
        using var call = Client.WatchJob(new WatchJobRequest { JobId = id }, deadline: DateTime.UtcNow.AddSeconds(30));
        Job last = null!;
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) last = call.ResponseStream.Current.Job;
        Assert.Equal(JobState.Failed, last.State);
        Assert.Equal("run.cluster.count", last.ErrorField);
        Assert.Contains("GB", last.ErrorReason);
    }
}
