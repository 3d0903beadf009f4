using Grpc.Net.Client;
using MassTransit;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Messaging;
using Platform.Contracts.Training.V1;

namespace Platform.IntegrationTests;

/// <summary>Three host processes, one role each, on loopback, talking over gRPC and RabbitMQ.</summary>
[Collection(BrokerCollection.Name)]
public sealed class MultiProcessTests(BrokerFixture broker)
{
    [Fact]
    public async Task Three_single_role_processes_serve_their_own_services_and_share_the_bus()
    {
        string prefix = $"p{Guid.NewGuid():N}"[..9];
        var common = new Dictionary<string, string>
        {
            ["RabbitMq__Host"] = broker.Url, ["Platform__QueuePrefix"] = prefix,
        };
        // Successful calls are logged at Debug; this host writes them so the test can see the cross-process call.
        await using var emulator = await HostProcess.StartAsync("emulator", new Dictionary<string, string>(common)
        {
            ["Serilog__MinimumLevel__Override__Serilog.AspNetCore.RequestLoggingMiddleware"] = "Debug",
        });
        var withEmulator = new Dictionary<string, string>(common)
        {
            ["Platform__Endpoints__Emulator"] = emulator.GrpcUrl,
        };
        var trainingTask = HostProcess.StartAsync("training", withEmulator);
        var inferenceTask = HostProcess.StartAsync("inference", withEmulator);
        await using var training = await trainingTask;
        await using var inference = await inferenceTask;

        using var emuChannel = GrpcChannel.ForAddress(emulator.GrpcUrl);
        using var trainChannel = GrpcChannel.ForAddress(training.GrpcUrl);
        using var infChannel = GrpcChannel.ForAddress(inference.GrpcUrl);

        // Each process serves its role and only its role.
        Assert.NotEmpty((await new EmulatorService.EmulatorServiceClient(emuChannel)
            .ListDevicesAsync(new ListDevicesRequest())).Devices);
        Assert.NotEmpty((await new TrainingCostService.TrainingCostServiceClient(trainChannel)
            .ListModelPresetsAsync(new ListModelPresetsRequest())).Presets);
        Assert.NotEmpty((await new InferenceSchedulerService.InferenceSchedulerServiceClient(infChannel)
            .ListTracesAsync(new ListTracesRequest())).Traces);
        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            new EmulatorService.EmulatorServiceClient(trainChannel)
                .ListDevicesAsync(new ListDevicesRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, missing.StatusCode);

        // Cross-role gRPC: the training process prices a run with op times from the emulator process.
        var trainingClient = new TrainingCostService.TrainingCostServiceClient(trainChannel);
        var estimate = await trainingClient.EstimateTrainingRunAsync(new EstimateTrainingRunRequest
        {
            Run = new TrainingRunSpec
            {
                Model = new Platform.Contracts.Common.V1.ModelSpec { Preset = "llama-3.1-8b" },
                TrainingTokens = 100_000_000_000, SequenceLength = 4096,
                Cluster = new Cluster { Accelerator = "h800", Count = 64 }, PricePerAcceleratorHourUsd = 2.0,
            },
        });
        Assert.True(estimate.AcceleratorHours > 0 && estimate.ModelFlopsUtilization is > 0.1 and < 0.8);
        Assert.Contains("EstimateOps", emulator.Output);

        // Cross-role bus: the emulator announces a replaced device; the inference process drops its cached facts.
        var emulatorClient = new EmulatorService.EmulatorServiceClient(emuChannel);
        var inferenceClient = new InferenceSchedulerService.InferenceSchedulerServiceClient(infChannel);
        var device = (await emulatorClient.GetDeviceAsync(new GetDeviceRequest { Id = "h100-sxm" })).Device.Clone();
        device.Id = $"mp-{Guid.NewGuid():N}"[..12];
        await emulatorClient.RegisterDeviceAsync(new RegisterDeviceRequest { Device = device });
        var simulate = new SimulateWorkloadRequest
        {
            Model = new Platform.Contracts.Common.V1.ModelSpec { Preset = "llama-3.1-8b" },
            Deployment = new Deployment { Accelerator = device.Id, Replicas = 1, TensorParallel = 1 },
            TimeModel = new TimeModel
            {
                Constant = new ConstantTimeModel { PrefillSecondsPerToken = 1e-4, DecodeSecondsPerStep = 0.01 },
            },
            Workload = new Workload
            {
                Synthetic = new SyntheticWorkload
                {
                    Arrival = Arrival.Poisson, RatePerSecond = 1, Requests = 10, Seed = 1,
                    PromptTokens = new LengthDistribution { Fixed = 100 },
                    OutputTokens = new LengthDistribution { Fixed = 10 }
                }
            },
        };
        long before = (await inferenceClient.SimulateWorkloadAsync(simulate)).Pools[0].KvCacheTokensPerInstance;
        device.HbmGb = 141;
        await emulatorClient.RegisterDeviceAsync(new RegisterDeviceRequest { Device = device });
        long after = before;
        for (int i = 0; i < 100 && after == before; i++)
        {
            await Task.Delay(100);
            after = (await inferenceClient.SimulateWorkloadAsync(simulate)).Pools[0].KvCacheTokensPerInstance;
        }
        Assert.True(after > before * 3 / 2, $"inference kept stale device facts: {after} vs {before}");

        // A pipeline outside the platform sends a job over RabbitMQ; the emulator process answers.
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(broker.Url)));
        await bus.StartAsync();
        try
        {
            await BusScenario.AssertRoundTrip(bus.CreateRequestClient<EstimateOpsCommand>());
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}
