using Grpc.Net.Client;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Training.V1;
using Platform.Testing;

namespace Platform.IntegrationTests;

/// <summary>
/// The host as `make run` starts it (every role, in-memory bus, SQLite), killed and started again on the same
/// database: a finished job and a registered device are still there.
/// </summary>
public sealed class DurableStateTests
{
    [Fact]
    public async Task A_finished_job_and_a_registered_device_survive_killing_and_restarting_the_host()
    {
        string file = Path.Combine(Path.GetTempPath(), $"platform-durable-{Guid.NewGuid():N}.db");
        var settings = new Dictionary<string, string> { ["ConnectionStrings__Platform"] = $"Data Source={file}" };
        try
        {
            string id;
            Job finished;
            await using (var host = await HostProcess.StartAsync("all", settings))
            {
                using var channel = GrpcChannel.ForAddress(host.GrpcUrl);
                var training = new TrainingCostService.TrainingCostServiceClient(channel);
                id = (await training.SubmitEstimateJobAsync(new SubmitEstimateJobRequest
                {
                    Run = new TrainingRunSpec
                    {
                        Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000,
                        SequenceLength = 4096, Cluster = new Cluster { Accelerator = "h100-sxm", Count = 512 },
                    },
                })).JobId;
                finished = await JobPolling.WaitFinished(training, id);
                Assert.Equal(JobState.Succeeded, finished.State);
                Assert.NotNull(finished.Estimate);
                await new EmulatorService.EmulatorServiceClient(channel).RegisterDeviceAsync(new RegisterDeviceRequest
                {
                    Device = new Device
                    {
                        Id = "durable-dev", PeakTflops = new DtypePeaks { Bf16 = 500, Fp32 = 50 }, HbmGb = 96,
                        HbmTbps = 3, ScaleUpGbps = 300, ScaleOutGbps = 50, ComputeUnits = 100, L2Mb = 40,
                        TdpWatts = 600,
                    },
                });
                await host.KillAsync(); // no graceful stop
                Assert.True(host.HasExited);
            }

            await using var again = await HostProcess.StartAsync("all", settings);
            using var channel2 = GrpcChannel.ForAddress(again.GrpcUrl);
            var job = (await new TrainingCostService.TrainingCostServiceClient(channel2)
                .GetJobAsync(new GetJobRequest { JobId = id })).Job;
            Assert.Equal(finished, job);
            var device = (await new EmulatorService.EmulatorServiceClient(channel2)
                .GetDeviceAsync(new GetDeviceRequest { Id = "durable-dev" })).Device;
            Assert.Equal(500, device.PeakTflops.Bf16);
            Assert.Contains("Loaded 1 stored custom device", again.Output);
        }
        finally
        {
            foreach (string f in new[] { file, file + "-wal", file + "-shm" }) File.Delete(f);
        }
    }
}
