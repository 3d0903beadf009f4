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
        var common = new Dictionary<string, string> { ["RabbitMq__Host"] = broker.Url, ["Platform__QueuePrefix"] = prefix };
        await using var emulator = await HostProcess.StartAsync("emulator", common);
        var withEmulator = new Dictionary<string, string>(common) { ["Platform__Endpoints__Emulator"] = emulator.GrpcUrl };
        var trainingTask = HostProcess.StartAsync("training", withEmulator);
        var inferenceTask = HostProcess.StartAsync("inference", withEmulator);
        await using var training = await trainingTask;
        await using var inference = await inferenceTask;

        using var emuChannel = GrpcChannel.ForAddress(emulator.GrpcUrl);
        using var trainChannel = GrpcChannel.ForAddress(training.GrpcUrl);
        using var infChannel = GrpcChannel.ForAddress(inference.GrpcUrl);

        // Each process serves its role and only its role.
        Assert.NotEmpty((await new EmulatorService.EmulatorServiceClient(emuChannel).ListDevicesAsync(new ListDevicesRequest())).Devices);
        Assert.NotEmpty((await new TrainingCostService.TrainingCostServiceClient(trainChannel).ListModelPresetsAsync(new ListModelPresetsRequest())).Presets);
        Assert.NotEmpty((await new InferenceSchedulerService.InferenceSchedulerServiceClient(infChannel).ListTracesAsync(new ListTracesRequest())).Traces);
        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            new EmulatorService.EmulatorServiceClient(trainChannel).ListDevicesAsync(new ListDevicesRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, missing.StatusCode);

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
