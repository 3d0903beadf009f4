using System.Security.Cryptography;
using System.Text;
using Grpc.Net.Client;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using JobService = Platform.Contracts.Jobs.V1.JobService;

namespace Platform.IntegrationTests;

/// <summary>
/// The production configuration without containers: authentication on, PostgreSQL, RabbitMQ, the emulator and two
/// training workers as separate processes calling each other with their own key.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class ProductionConfigurationTests(BrokerFixture broker)
{
    private const string RoleKey = "role-key-for-calls-between-roles";
    private const string CiKey = "ci-key-that-may-submit-jobs";
    private const string ReaderKey = "dashboard-key-that-may-only-read";

    private static string Sha256(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static Metadata Key(string key) => new() { { "x-api-key", key } };

    [Fact]
    public async Task Secured_roles_on_postgres_and_rabbitmq_serve_keyed_callers_and_call_each_other_with_their_key()
    {
        await using var db = await PostgresTestDatabase.CreateAsync();
        var settings = new Dictionary<string, string>
        {
            ["RabbitMq__Host"] = broker.Url,
            ["Platform__QueuePrefix"] = $"a{Guid.NewGuid():N}"[..9],
            ["Platform__Database__Provider"] = "postgres",
            ["ConnectionStrings__Platform"] = db.ConnectionString,
            ["Auth__Enabled"] = "true",
            ["Auth__ClientApiKey"] = RoleKey,
            ["Auth__ApiKeys__roles__Sha256"] = Sha256(RoleKey),
            ["Auth__ApiKeys__roles__Scopes"] = "read",
            ["Auth__ApiKeys__ci__Sha256"] = Sha256(CiKey),
            ["Auth__ApiKeys__ci__Scopes"] = "read write",
            ["Auth__ApiKeys__dashboard__Sha256"] = Sha256(ReaderKey),
            ["Auth__ApiKeys__dashboard__Scopes"] = "read",
            ["RateLimit__PermitsPerSecond"] = "200",
        };
        await using var emulator = await HostProcess.StartAsync("emulator", settings);
        var workers = new Dictionary<string, string>(settings) { ["Platform__Endpoints__Emulator"] = emulator.GrpcUrl };
        var first = HostProcess.StartAsync("training", workers);
        var second = HostProcess.StartAsync("training", workers);
        await using var a = await first;
        await using var b = await second;

        using var channel = GrpcChannel.ForAddress(a.GrpcUrl);
        var training = new TrainingCostService.TrainingCostServiceClient(channel);
        var run = new TrainingRunSpec
        {
            Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
            SequenceLength = 4096, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 512 },
        };
        // Anonymous callers are refused; the reader may estimate (training asks the emulator process with its own
        // key) but not submit; the CI key submits, and the job is answered by the other worker's job API too.
        var anonymous = await Assert.ThrowsAsync<RpcException>(() => training
            .EstimateTrainingRunAsync(new EstimateTrainingRunRequest { Run = run }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        var estimate = await training.EstimateTrainingRunAsync(new EstimateTrainingRunRequest { Run = run },
            Key(ReaderKey));
        Assert.True(estimate.AcceleratorHours > 0);
        var denied = await Assert.ThrowsAsync<RpcException>(() => training
            .SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = run }, Key(ReaderKey)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        string id = (await training.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = run }, Key(CiKey)))
            .JobId;

        using var other = GrpcChannel.ForAddress(b.GrpcUrl);
        var jobs = new JobService.JobServiceClient(other);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        Platform.Contracts.Jobs.V1.Job job;
        do
        {
            await Task.Delay(200);
            job = (await jobs.GetJobAsync(new Platform.Contracts.Jobs.V1.GetJobRequest { JobId = id },
                Key(ReaderKey))).Job;
        } while (job.FinishedAt is null && DateTime.UtcNow < deadline);
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(estimate.AcceleratorHours, job.TrainingEstimate.AcceleratorHours, 6);
    }
}
