using System.Diagnostics;
using Grpc.Net.Client;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Training.V1;
using Xunit.Abstractions;

namespace Platform.IntegrationTests;

/// <summary>
/// Two replicas of the host (training and emulator roles) on one PostgreSQL database and one RabbitMQ broker, as
/// behind a load balancer: what one accepts, the other answers.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class SharedDatabaseTests(BrokerFixture broker, ITestOutputHelper output)
{
    private const string Roles = "training,emulator";

    /// <summary>Replica B answers for what replica A accepted within this delay (the event or a read away).</summary>
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(3);

    private Dictionary<string, string> Settings(string prefix, PostgresTestDatabase db) => new()
    {
        ["RabbitMq__Host"] = broker.Url,
        ["Platform__QueuePrefix"] = prefix,
        ["Platform__Database__Provider"] = "postgres",
        ["ConnectionStrings__Platform"] = db.ConnectionString,
    };

    /// <summary>Both replicas, started together on the empty database (they migrate it once between them).</summary>
    private async Task<(HostProcess A, HostProcess B)> StartReplicas(PostgresTestDatabase db)
    {
        string prefix = $"s{Guid.NewGuid():N}"[..9];
        var a = HostProcess.StartAsync(Roles, Settings(prefix, db));
        var b = HostProcess.StartAsync(Roles, Settings(prefix, db));
        try
        {
            return (await a, await b);
        }
        catch
        {
            foreach (var t in new[] { a, b })
                if (t.IsCompletedSuccessfully) await t.Result.DisposeAsync();
            throw;
        }
    }

    private static TrainingRunSpec Run(long tokens) => new()
    {
        Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = tokens, SequenceLength = 4096,
        Cluster = new Cluster { Accelerator = "h100-sxm", Count = 512 },
    };

    [Fact]
    public async Task A_job_submitted_on_one_replica_is_read_and_watched_to_the_end_on_the_other()
    {
        await using var db = await PostgresTestDatabase.CreateAsync();
        var (a, b) = await StartReplicas(db);
        await using var _ = a;
        await using var __ = b;
        using var channelA = GrpcChannel.ForAddress(a.GrpcUrl);
        using var channelB = GrpcChannel.ForAddress(b.GrpcUrl);
        var onA = new TrainingCostService.TrainingCostServiceClient(channelA);
        var onB = new TrainingCostService.TrainingCostServiceClient(channelB);

        // Several jobs, so the shared queue hands some to each replica (competing consumers); each is watched on B
        // from right after A accepted it.
        var ids = new List<string>();
        var watched = new List<List<Job>>();
        for (int i = 0; i < 6; i++)
        {
            string id = (await onA.SubmitEstimateJobAsync(new SubmitEstimateJobRequest
            {
                Run = Run(1_000_000_000_000 + i),
            })).JobId;
            ids.Add(id);
            using var watch = onB.WatchJob(new WatchJobRequest { JobId = id },
                deadline: DateTime.UtcNow.AddSeconds(60));
            // B knows the job although A accepted it (read from the database, or B runs it).
            var read = (await onB.GetJobAsync(new GetJobRequest { JobId = id })).Job;
            Assert.Equal(("estimate", id), (read.Kind, read.JobId));
            var seen = new List<Job>();
            await foreach (var r in watch.ResponseStream.ReadAllAsync()) seen.Add(r.Job);
            watched.Add(seen);
            output.WriteLine($"{id} on B: {string.Join(" → ", seen.Select(j => $"{j.State} {j.Progress:0.##}"))}");
            Assert.NotEmpty(seen);
            for (int k = 1; k < seen.Count; k++)
            {
                Assert.True(seen[k].State >= seen[k - 1].State,
                    $"state went back: {seen[k - 1].State}→{seen[k].State}");
                Assert.True(seen[k].Progress >= seen[k - 1].Progress, "progress went back");
            }
            var last = seen[^1];
            Assert.Equal(JobState.Succeeded, last.State);
            Assert.NotNull(last.Estimate);
            // Both replicas give the same answer, estimate included.
            Assert.Equal(last, (await onA.GetJobAsync(new GetJobRequest { JobId = id })).Job);
            Assert.Equal(last, (await onB.GetJobAsync(new GetJobRequest { JobId = id })).Job);
        }
        // B saw jobs change, not only their end.
        Assert.Contains(watched, seen => seen.Count > 1);
        var adopted = b.Output.Split('\n').Where(l => l.Contains("running it here")).ToList();
        output.WriteLine($"jobs run by replica B: {ids.Count(id => adopted.Any(l => l.Contains(id)))} of {ids.Count}");
    }

    [Fact]
    public async Task A_device_registered_or_replaced_on_one_replica_is_served_by_the_other_within_a_second()
    {
        await using var db = await PostgresTestDatabase.CreateAsync();
        var (a, b) = await StartReplicas(db);
        await using var _ = a;
        await using var __ = b;
        using var channelA = GrpcChannel.ForAddress(a.GrpcUrl);
        using var channelB = GrpcChannel.ForAddress(b.GrpcUrl);
        var onA = new EmulatorService.EmulatorServiceClient(channelA);
        var onB = new EmulatorService.EmulatorServiceClient(channelB);
        string id = $"shared-{Guid.NewGuid():N}"[..15];
        var device = new Device
        {
            Id = id, PeakTflops = new DtypePeaks { Bf16 = 500, Fp32 = 50 }, HbmGb = 96, HbmTbps = 3,
            ScaleUpGbps = 300, ScaleOutGbps = 50, ComputeUnits = 100, L2Mb = 40, TdpWatts = 600,
        };
        var missing = await Assert.ThrowsAsync<RpcException>(async () =>
            await onB.GetDeviceAsync(new GetDeviceRequest { Id = id }));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        await onA.RegisterDeviceAsync(new RegisterDeviceRequest { Device = device });
        var added = await WaitOnB(onB, id, d => d.HbmGb == 96);
        output.WriteLine($"registered device served by B after {added.TotalMilliseconds:0} ms");

        device.HbmGb = 141;
        device.PeakTflops.Bf16 = 990;
        await onA.RegisterDeviceAsync(new RegisterDeviceRequest { Device = device });
        var replaced = await WaitOnB(onB, id, d => d.HbmGb == 141 && d.PeakTflops.Bf16 == 990);
        output.WriteLine($"replaced device served by B after {replaced.TotalMilliseconds:0} ms");
        Assert.False((await onB.GetDeviceAsync(new GetDeviceRequest { Id = id })).Device.BuiltIn);
    }

    /// <summary>How long until replica B's GetDevice answers a device matching <paramref name="expected"/>.</summary>
    private static async Task<TimeSpan> WaitOnB(EmulatorService.EmulatorServiceClient onB, string id,
        Func<Device, bool> expected)
    {
        var clock = Stopwatch.StartNew();
        Device? last = null;
        while (clock.Elapsed < Propagation)
        {
            try
            {
                last = (await onB.GetDeviceAsync(new GetDeviceRequest { Id = id })).Device;
                if (expected(last)) return clock.Elapsed;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound) { }
            await Task.Delay(20);
        }
        Assert.Fail($"replica B still serves {(last is null ? "no device" : last.ToString())} for '{id}' after "
                    + $"{Propagation.TotalSeconds:0} s");
        return clock.Elapsed;
    }
}
