using Grpc.Core;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace Platform.Persistence.Tests;

/// <summary>
/// The whole platform in-process on one SQLite file, stopped and started again: what a restart of the host keeps.
/// </summary>
public sealed class HostRestartTests
{
    private static TrainingRunSpec Run() => new()
    {
        Model = new ModelSpec { Preset = "llama-3.1-8b" },
        TrainingTokens = 1_000_000_000_000,
        SequenceLength = 4096,
        Cluster = new Cluster { Accelerator = "h100-sxm", Count = 512 },
    };

    [Fact]
    public async Task A_finished_job_and_a_registered_device_survive_a_host_restart()
    {
        string file = Path.Combine(Path.GetTempPath(), $"platform-restart-{Guid.NewGuid():N}.db");
        try
        {
            string id;
            Job finished;
            using (var before = new PlatformFactory { DatabaseFile = file, KeepDatabase = true })
            {
                var training = new TrainingCostService.TrainingCostServiceClient(before.Channel);
                id = (await training.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = Run() })).JobId;
                finished = await JobPolling.WaitFinished(training, id);
                Assert.Equal(JobState.Succeeded, finished.State);
                Assert.NotNull(finished.Estimate);
                await new EmulatorService.EmulatorServiceClient(before.Channel).RegisterDeviceAsync(
                    new RegisterDeviceRequest
                    {
                        Device = new Device
                        {
                            Id = "kept-dev", PeakTflops = new DtypePeaks { Bf16 = 500, Fp32 = 50 }, HbmGb = 96,
                            HbmTbps = 3, ScaleUpGbps = 300, ScaleOutGbps = 50, ComputeUnits = 100,
                        },
                    });
            }

            using var after = new PlatformFactory { DatabaseFile = file };
            var job = (await new TrainingCostService.TrainingCostServiceClient(after.Channel)
                .GetJobAsync(new GetJobRequest { JobId = id })).Job;
            Assert.Equal(finished, job); // state, progress, message and the estimate itself
            var device = (await new EmulatorService.EmulatorServiceClient(after.Channel)
                .GetDeviceAsync(new GetDeviceRequest { Id = "kept-dev" })).Device;
            Assert.Equal(500, device.PeakTflops.Bf16);
            Assert.False(device.BuiltIn);
            var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
                await new TrainingCostService.TrainingCostServiceClient(after.Channel)
                    .GetJobAsync(new GetJobRequest { JobId = Guid.NewGuid().ToString() }));
            Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        }
        finally { PlatformFactory.DeleteDatabase(file); }
    }

    [Fact]
    public async Task Factories_keep_separate_databases()
    {
        using var one = new PlatformFactory();
        using var two = new PlatformFactory();
        var training = new TrainingCostService.TrainingCostServiceClient(one.Channel);
        string id = (await training.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = Run() })).JobId;
        await JobPolling.WaitFinished(training, id);
        Assert.NotEqual(one.DatabaseFile, two.DatabaseFile);
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await new TrainingCostService.TrainingCostServiceClient(two.Channel)
                .GetJobAsync(new GetJobRequest { JobId = id }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    /// <summary>
    /// The platform without a database (Platform:Database:Provider = none): state lives in the process.
    /// </summary>
    private sealed class NoDatabaseFactory : PlatformFactory
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Platform:Database:Provider"] = "none",
        };
    }

    [Fact]
    public async Task Without_a_database_jobs_run_in_memory_and_a_restart_forgets_them()
    {
        string file = Path.Combine(Path.GetTempPath(), $"platform-none-{Guid.NewGuid():N}.db");
        string id;
        using (var before = new NoDatabaseFactory { DatabaseFile = file })
        {
            var training = new TrainingCostService.TrainingCostServiceClient(before.Channel);
            id = (await training.SubmitEstimateJobAsync(new SubmitEstimateJobRequest { Run = Run() })).JobId;
            Assert.Equal(JobState.Succeeded, (await JobPolling.WaitFinished(training, id)).State);
            Assert.False(File.Exists(file)); // no database was created
        }
        using var after = new NoDatabaseFactory { DatabaseFile = file };
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await new TrainingCostService.TrainingCostServiceClient(after.Channel)
                .GetJobAsync(new GetJobRequest { JobId = id }));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }
}
