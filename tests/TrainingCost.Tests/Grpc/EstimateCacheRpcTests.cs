using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Training.V1;
using Platform.Testing;
using TrainingCost.Caching;

namespace TrainingCost.Tests.Grpc;

/// <summary>The cache in the running service: repeated requests share an entry; a re-registered device is
/// estimated anew.</summary>
public sealed class EstimateCacheRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task Repeated_estimate_is_identical_and_a_replaced_device_is_estimated_anew()
    {
        var emulator = new EmulatorService.EmulatorServiceClient(factory.Channel);
        var training = new TrainingCostService.TrainingCostServiceClient(factory.Channel);
        var cache = factory.Services.GetRequiredService<TrainingEstimateCache>();
        static EstimateTrainingRunRequest Request(string accelerator) => new()
        {
            Run = new TrainingRunSpec
            {
                Model = new ModelSpec { Preset = "llama-3.1-8b" }, TrainingTokens = 1_000_000_000_000L,
                SequenceLength = 4096, Cluster = new Cluster { Accelerator = accelerator, Count = 64 },
                Parallelism = new ParallelismPlan { TensorParallel = 8 },
            },
        };

        // A catalog device (no registration event in flight): the second call is the first one's cache entry.
        int before = cache.Count;
        var h800 = await training.EstimateTrainingRunAsync(Request("h800"));
        Assert.Equal(h800, await training.EstimateTrainingRunAsync(Request("h800")));
        Assert.Equal(before + 1, cache.Count);

        var device = (await emulator.GetDeviceAsync(new GetDeviceRequest { Id = "h800" })).Device.Clone();
        device.Id = "training-cache-test-gpu";
        await emulator.RegisterDeviceAsync(new RegisterDeviceRequest { Device = device });
        var request = Request("training-cache-test-gpu");
        var first = await training.EstimateTrainingRunAsync(request);
        Assert.Equal(first, await training.EstimateTrainingRunAsync(request));

        device.PeakTflops.Bf16 *= 2;
        device.PeakTflops.Fp16 *= 2;
        device.HbmTbps *= 2;
        await emulator.RegisterDeviceAsync(new RegisterDeviceRequest { Device = device });
        var after = first;
        // The DeviceRegistered event reaches the training role through the bus, asynchronously.
        for (int i = 0; i < 200 && after.WallClockDays == first.WallClockDays; i++)
        {
            await Task.Delay(100);
            after = await training.EstimateTrainingRunAsync(request);
        }
        Assert.True(after.WallClockDays < first.WallClockDays, $"{after.WallClockDays} vs {first.WallClockDays}");
    }
}
