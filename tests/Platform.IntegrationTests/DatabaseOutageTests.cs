using System.Diagnostics;
using System.Net;
using Google.Rpc;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Training.V1;
using Platform.Testing;
using Xunit.Abstractions;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Platform.IntegrationTests;

/// <summary>
/// A host (training and emulator roles, RabbitMQ) on a PostgreSQL server of the test's own, which the test stops and
/// starts again: while the database is down the calls that need it answer Unavailable naming it, quickly, and
/// readiness says not serving; once it is back the host serves again without a restart.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class DatabaseOutageTests(BrokerFixture broker, ITestOutputHelper output)
{
    /// <summary>A call that needs a stopped database fails within this (not at its deadline of 30 s).</summary>
    private static readonly TimeSpan Refused = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A call that needs a database that does not answer fails within this: at worst a statement on a pooled
    /// connection, Platform:Database:CommandTimeoutSeconds plus twice ConnectTimeoutSeconds (defaults 5 + 2 × 2 s).
    /// </summary>
    private static readonly TimeSpan Unanswered = TimeSpan.FromSeconds(10);

    /// <summary>Readiness follows the database within this, both ways (its check waits 3 s at most).</summary>
    private static readonly TimeSpan Follow = TimeSpan.FromSeconds(10);

    private static TrainingRunSpec Run() => new()
    {
        Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000, SequenceLength = 4096,
        Cluster = new Cluster { Accelerator = "h100-sxm", Count = 512 },
    };

    private static Device NewDevice(string id, double hbm) => new()
    {
        Id = id, PeakTflops = new DtypePeaks { Bf16 = 500, Fp32 = 50 }, HbmGb = hbm, HbmTbps = 3,
        ScaleUpGbps = 300, ScaleOutGbps = 50, ComputeUnits = 100, L2Mb = 40, TdpWatts = 600,
    };

    [Fact]
    public Task While_the_database_is_stopped_calls_needing_it_are_unavailable_and_the_host_recovers_after() =>
        Outage("stopped", Refused, pg => pg.StopServerAsync(), pg => pg.StartServerAsync());

    [Fact]
    public Task While_the_database_does_not_answer_calls_needing_it_fail_fast_and_the_host_recovers_after() =>
        Outage("frozen", Unanswered, pg => pg.FreezeAsync(), pg => pg.ThawAsync());

    /// <summary>
    /// A host on its own database, which <paramref name="takeDown"/> makes unavailable and
    /// <paramref name="bringBack"/> available again.
    /// </summary>
    private async Task Outage(string how, TimeSpan failFast, Func<PrivatePostgres, Task> takeDown,
        Func<PrivatePostgres, Task> bringBack)
    {
        await using var pg = await PrivatePostgres.StartAsync();
        await using var host = await HostProcess.StartAsync("training,emulator", new Dictionary<string, string>
        {
            ["RabbitMq__Host"] = broker.Url,
            ["Platform__QueuePrefix"] = $"o{Guid.NewGuid():N}"[..9],
            ["Platform__Database__Provider"] = "postgres",
            ["ConnectionStrings__Platform"] = pg.ConnectionString,
        });
        try
        {
            await Outage(how, failFast, pg, host, takeDown, bringBack);
        }
        catch
        {
            output.WriteLine(host.Output); // what the host logged, to see why
            throw;
        }
    }

    private async Task Outage(string how, TimeSpan failFast, PrivatePostgres pg, HostProcess host,
        Func<PrivatePostgres, Task> takeDown, Func<PrivatePostgres, Task> bringBack)
    {
        using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}") };
        var training = new TrainingCostService.TrainingCostServiceClient(channel);
        var emulator = new EmulatorService.EmulatorServiceClient(channel);
        var health = new Health.HealthClient(channel);

        // Before the outage: a finished job and a registered device.
        string before = (await training.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = Run() })).JobId;
        var finished = await JobPolling.WaitFinished(training, before);
        Assert.Equal(JobState.Succeeded, finished.State);
        string deviceId = $"outage-{Guid.NewGuid():N}"[..15];
        await emulator.RegisterDeviceAsync(new RegisterDeviceRequest { Device = NewDevice(deviceId, 96) });

        await takeDown(pg);
        var down = Stopwatch.StartNew();
        var notReady = await WaitReadiness(health, ServingStatus.NotServing);
        output.WriteLine($"{how}: readiness NOT_SERVING {notReady.TotalMilliseconds:0} ms after the outage began");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);

        // Calls that need the database: Unavailable naming it, quickly.
        await AssertUnavailable(failFast, "GetJob of a job this host does not hold", () =>
            training.GetJobAsync(new GetJobRequest { JobId = Guid.NewGuid().ToString() },
                deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        await AssertUnavailable(failFast, "SubmitEstimateJob", () =>
            training.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = Run() },
                deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        await AssertUnavailable(failFast, "RegisterDevice", () =>
            emulator.RegisterDeviceAsync(new RegisterDeviceRequest { Device = NewDevice(deviceId, 141) },
                deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        // What the host holds in memory is still answered: a job it ran, a device it registered.
        Assert.Equal(finished, (await training.GetJobAsync(new GetJobRequest { JobId = before })).Job);
        Assert.Equal(96, (await emulator.GetDeviceAsync(new GetDeviceRequest { Id = deviceId })).Device.HbmGb);
        output.WriteLine($"{how}: database unavailable for {down.ElapsedMilliseconds} ms");

        // Back, without a restart of the host: the first call that needs the database works at once.
        await bringBack(pg);
        var back = Stopwatch.StartNew();
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await training.GetJobAsync(new GetJobRequest { JobId = Guid.NewGuid().ToString() }));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        output.WriteLine($"{how}: first call needing the database answered {back.ElapsedMilliseconds} ms after");
        var ready = await WaitReadiness(health, ServingStatus.Serving);
        output.WriteLine($"{how}: readiness SERVING {ready.TotalMilliseconds:0} ms after the database came back");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(finished, (await training.GetJobAsync(new GetJobRequest { JobId = before })).Job);
        string after = (await training.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = Run() })).JobId;
        Assert.Equal(JobState.Succeeded, (await JobPolling.WaitFinished(training, after)).State);
        await emulator.RegisterDeviceAsync(new RegisterDeviceRequest { Device = NewDevice(deviceId, 141) });
        Assert.Equal(141, (await emulator.GetDeviceAsync(new GetDeviceRequest { Id = deviceId })).Device.HbmGb);
        Assert.DoesNotContain("Unhandled error", host.Output);
    }

    /// <summary>The call fails Unavailable within <paramref name="failFast"/>, naming the database and nothing
    /// inside.</summary>
    private async Task AssertUnavailable<T>(TimeSpan failFast, string what, Func<Task<T>> call)
    {
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<RpcException>(async () => await call());
        output.WriteLine($"{what}: {e.StatusCode} after {clock.ElapsedMilliseconds} ms: {e.Status.Detail}");
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.True(clock.Elapsed < failFast, $"{what} took {clock.Elapsed.TotalSeconds:0.0} s to fail");
        Assert.Contains("database", e.Status.Detail);
        Assert.DoesNotContain("Exception", e.Status.Detail);
        Assert.DoesNotContain("Npgsql", e.Status.Detail);
        var info = e.GetRpcStatus()?.GetDetail<ErrorInfo>();
        Assert.Equal("database", info?.Metadata["dependency"]);
    }

    /// <summary>Polls gRPC readiness until it reports <paramref name="status"/>; returns how long that took.</summary>
    private static async Task<TimeSpan> WaitReadiness(Health.HealthClient health, ServingStatus status)
    {
        var clock = Stopwatch.StartNew();
        var last = ServingStatus.Unknown;
        while (clock.Elapsed < Follow)
        {
            last = (await health.CheckAsync(new HealthCheckRequest { Service = "readiness" },
                deadline: DateTime.UtcNow.AddSeconds(10))).Status;
            if (last == status) return clock.Elapsed;
            await Task.Delay(50);
        }
        Assert.Fail($"readiness still {last} after {Follow.TotalSeconds:0} s, expected {status}");
        return clock.Elapsed;
    }
}
