using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Inference.V1;
using Platform.Testing;

namespace InferenceScheduler.Tests.Grpc;

public sealed class DeviceRegistrationRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task Replacing_a_custom_device_refreshes_the_cached_accelerator_facts()
    {
        var emulator = new EmulatorService.EmulatorServiceClient(factory.Channel);
        var inference = new InferenceSchedulerService.InferenceSchedulerServiceClient(factory.Channel);
        var device = (await emulator.GetDeviceAsync(new GetDeviceRequest { Id = "h100-sxm" })).Device.Clone();
        device.Id = "inference-test-gpu";
        await emulator.RegisterDeviceAsync(new RegisterDeviceRequest { Device = device });

        var req = SimulateWorkloadRpcTests.Parse(SimulateWorkloadRpcTests.MD1);
        req.Deployment.Accelerator = "inference-test-gpu";
        req.Workload.Synthetic.Requests = 20;
        long before = (await inference.SimulateWorkloadAsync(req)).Pools[0].KvCacheTokensPerInstance;

        device.HbmGb = 141;
        await emulator.RegisterDeviceAsync(new RegisterDeviceRequest { Device = device });
        long after = before;
        // The DeviceRegistered event reaches the inference role through the bus, asynchronously.
        for (int i = 0; i < 50 && after == before; i++)
        {
            await Task.Delay(100);
            after = (await inference.SimulateWorkloadAsync(req)).Pools[0].KvCacheTokensPerInstance;
        }
        Assert.True(after > before * 3 / 2, $"{after} vs {before}");
    }
}
