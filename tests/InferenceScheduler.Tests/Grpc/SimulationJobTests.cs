using Google.Protobuf;
using Platform.Contracts.Inference.V1;
using Platform.Testing;
using CommonJobState = Platform.Contracts.Common.V1.JobState;
using JobService = Platform.Contracts.Jobs.V1.JobService;

namespace InferenceScheduler.Tests.Grpc;

/// <summary>A simulation submitted as a job: queued on the bus, followed and answered by the job API.</summary>
public sealed class SimulationJobTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private readonly InferenceJobClients _clients = new(factory);
    private InferenceSchedulerService.InferenceSchedulerServiceClient Client => _clients.Inference;
    private JobService.JobServiceClient Jobs => _clients.Jobs;

    private const string Run =
        """
        {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h100-sxm","replicas":2},
        "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":20,"requests":4000,"seed":2,
        "promptTokens":{"fixed":512},"outputTokens":{"fixed":128}}},"slo":{"ttftMs":1000,"tpotMs":50}}
        """;

    private static SimulateWorkloadRequest Parse() => JsonParser.Default.Parse<SimulateWorkloadRequest>(Run);

    private Task<Platform.Contracts.Jobs.V1.Job> Watch(string id) => _clients.WatchToEndAsync(id);

    [Fact]
    public async Task A_submitted_simulation_runs_as_a_job_whose_result_is_what_SimulateWorkload_answers()
    {
        string id = (await Client.SubmitSimulationJobAsync(new SubmitSimulationJobRequest { Simulation = Parse() }))
            .JobId;
        var job = await Watch(id);
        Assert.Equal(("simulation", CommonJobState.Succeeded), (job.Kind, job.State));
        Assert.Equal(1, job.Progress);

        var direct = await Client.SimulateWorkloadAsync(Parse());
        Assert.Equal(4000, job.Simulation.CompletedRequests);
        Assert.Equal(direct.Metrics, job.Simulation.Metrics);
        Assert.Equal(direct.Cost, job.Simulation.Cost);
        var listed = await Jobs.ListJobsAsync(new Platform.Contracts.Jobs.V1.ListJobsRequest { Kind = "simulation" });
        Assert.Contains(listed.Jobs, j => j.JobId == id);
    }

    [Fact]
    public async Task A_simulation_with_bad_input_is_refused_before_queueing_or_fails_naming_the_field()
    {
        var negative = Parse();
        negative.Deployment.Replicas = -1;
        await GrpcAssert.InvalidField("simulation.deployment.replicas", () => Client
            .SubmitSimulationJobAsync(new SubmitSimulationJobRequest { Simulation = negative }).ResponseAsync);
        await GrpcAssert.InvalidField("simulation",
            () => Client.SubmitSimulationJobAsync(new SubmitSimulationJobRequest()).ResponseAsync);

        // Which accelerators exist is known where the run happens: the job fails NOT_FOUND naming it.
        var unknown = Parse();
        unknown.Deployment.Accelerator = "no-such-chip";
        string id = (await Client.SubmitSimulationJobAsync(new SubmitSimulationJobRequest { Simulation = unknown }))
            .JobId;
        var job = await Watch(id);
        Assert.Equal(CommonJobState.Failed, job.State);
        Assert.Equal(("NOT_FOUND", "deployment.accelerator"), (job.Error.Code, job.Error.Field));
    }
}
