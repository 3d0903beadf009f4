using Google.Protobuf;
using Platform.Contracts.Inference.V1;
using Platform.Testing;
using CommonJobState = Platform.Contracts.Common.V1.JobState;
using JobService = Platform.Contracts.Jobs.V1.JobService;

namespace InferenceScheduler.Tests.Grpc;

/// <summary>A capacity plan submitted as a job: queued on the bus, followed and answered by the job API.</summary>
public sealed class CapacityPlanJobTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private readonly InferenceJobClients _clients = new(factory);
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => _clients.Inference;
    private JobService.JobServiceClient Jobs => _clients.Jobs;

    private const string Plan =
        """
        {"model":{"preset":"llama-3.1-8b"},"workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":60,
        "requests":600,"seed":11,"promptTokens":{"fixed":1024},"outputTokens":{"fixed":256}}},
        "targetRequestsPerSecond":60,"slo":{"ttftMs":1000,"tpotMs":50},"sloAttainment":0.9,
        "candidates":{"accelerators":["h100-sxm","a100-80gb"],"tensorParallel":[1,2]},"maxAccelerators":16}
        """;

    private static PlanCapacityRequest Parse() => JsonParser.Default.Parse<PlanCapacityRequest>(Plan);

    private Task<Platform.Contracts.Jobs.V1.Job> Watch(string id) => _clients.WatchToEndAsync(id);

    [Fact]
    public async Task A_submitted_plan_runs_as_a_job_whose_result_is_the_plan_PlanCapacity_answers()
    {
        string id = (await Client.SubmitCapacityPlanAsync(new SubmitCapacityPlanRequest { Plan = Parse() })).JobId;
        var job = await Watch(id);
        Assert.Equal(("capacity-plan", CommonJobState.Succeeded), (job.Kind, job.State));
        Assert.Equal(1, job.Progress);

        var direct = await Client.PlanCapacityAsync(Parse());
        Assert.Equal(direct.Options.Select(o => (o.Layout, o.Deployment, o.CostPerHourUsd)),
            job.CapacityPlan.Options.Select(o => (o.Layout, o.Deployment, o.CostPerHourUsd)));
        var listed = await Jobs.ListJobsAsync(
            new Platform.Contracts.Jobs.V1.ListJobsRequest { Kind = "capacity-plan" });
        Assert.Contains(listed.Jobs, j => j.JobId == id);
    }

    [Fact]
    public async Task A_plan_with_bad_input_is_refused_before_queueing_or_fails_naming_the_field()
    {
        var negative = Parse();
        negative.TargetRequestsPerSecond = -5;
        await GrpcAssert.InvalidField("plan.target_requests_per_second", () => Client
            .SubmitCapacityPlanAsync(new SubmitCapacityPlanRequest { Plan = negative }).ResponseAsync);
        await GrpcAssert.InvalidField("plan",
            () => Client.SubmitCapacityPlanAsync(new SubmitCapacityPlanRequest()).ResponseAsync);

        // Which accelerators exist is known where the plan runs: the job fails NOT_FOUND naming the candidate.
        var unknown = Parse();
        unknown.Candidates.Accelerators[0] = "no-such-chip";
        string id = (await Client.SubmitCapacityPlanAsync(new SubmitCapacityPlanRequest { Plan = unknown })).JobId;
        var job = await Watch(id);
        Assert.Equal(CommonJobState.Failed, job.State);
        Assert.Equal(("NOT_FOUND", "candidates.accelerators[0]"), (job.Error.Code, job.Error.Field));
    }
}
