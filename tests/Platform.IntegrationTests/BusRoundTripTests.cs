using Google.Protobuf;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Messaging;
using Platform.Testing;

namespace Platform.IntegrationTests;

/// <summary>
/// An EstimateOps job over the bus: request from a client, consumed by the emulator role, reply back.
/// </summary>
public static class BusScenario
{
    public static EstimateOpsCommand Command(Guid jobId, string device = "h800") => new()
    {
        JobId = jobId,
        Device = device,
        OpsJson =
        [
            JsonFormatter.Default.Format(new OpSpec
            {
                Name = "qkv", Dtype = Dtype.Bf16, Gemm = new GemmOp { M = 4096, N = 6144, K = 4096 },
            }),
            JsonFormatter.Default.Format(new OpSpec
            {
                Name = "allreduce", Dtype = Dtype.Bf16,
                Collective = new CollectiveOp { Kind = CollectiveKind.AllReduce, Bytes = 64 << 20, Ranks = 8 },
            }),
        ],
    };

    public static async Task AssertRoundTrip(IRequestClient<EstimateOpsCommand> client)
    {
        var jobId = Guid.NewGuid();
        var response = await client.GetResponse<OpsEstimated, CommandRejected>(Command(jobId),
            timeout: RequestTimeout.After(s: 30));
        Assert.True(response.Is(out Response<OpsEstimated>? ok), "expected OpsEstimated");
        Assert.Equal(jobId, ok!.Message.JobId);
        Assert.Equal(2, ok.Message.TimingsJson.Count);
        var gemm = JsonParser.Default.Parse<OpTiming>(ok.Message.TimingsJson[0]);
        Assert.Equal("qkv", gemm.Name);
        Assert.True(gemm.DeviceSeconds > 0);
        Assert.True(ok.Message.TotalDeviceSeconds >= gemm.DeviceSeconds);

        var bad = await client.GetResponse<OpsEstimated, CommandRejected>(Command(Guid.NewGuid(), "h999"),
            timeout: RequestTimeout.After(s: 30));
        Assert.True(bad.Is(out Response<CommandRejected>? rejected), "expected CommandRejected for an unknown device");
        Assert.Equal("device", rejected!.Message.Field);
    }
}

public sealed class InMemoryBusRoundTripTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task Estimate_ops_job_round_trips_over_the_in_memory_bus()
    {
        var clients = factory.Services.GetRequiredService<IClientFactory>();
        await BusScenario.AssertRoundTrip(clients.CreateRequestClient<EstimateOpsCommand>());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"gemm\":{\"m\":\"many\"}}")]
    [InlineData("{\"colour\":\"blue\"}")]
    public async Task A_command_with_bad_json_inside_is_rejected_naming_the_item(string opJson)
    {
        var client = factory.Services.GetRequiredService<IClientFactory>().CreateRequestClient<EstimateOpsCommand>();
        var command = BusScenario.Command(Guid.NewGuid());
        command = command with { OpsJson = [command.OpsJson[0], opJson] };
        var reply = await client.GetResponse<OpsEstimated, CommandRejected>(command,
            timeout: RequestTimeout.After(s: 30));
        Assert.True(reply.Is(out Response<CommandRejected>? rejected), "expected CommandRejected");
        Assert.Equal("ops[1]", rejected!.Message.Field);
        Assert.Contains("platform.emulator.v1.OpSpec", rejected.Message.Reason);
    }
}

/// <summary>The whole platform in-process on RabbitMQ.</summary>
public sealed class RabbitPlatformFactory(string brokerUrl) : PlatformFactory
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["RabbitMq:Host"] = brokerUrl,
        ["Platform:QueuePrefix"] = $"t{Guid.NewGuid():N}"[..9],
        ["Platform:AutoDeleteQueues"] = "true",
    };
}

[Collection(BrokerCollection.Name)]
public sealed class RabbitMqBusRoundTripTests(BrokerFixture broker)
{
    [Fact]
    public async Task Estimate_ops_job_round_trips_over_rabbitmq()
    {
        await using var factory = new RabbitPlatformFactory(broker.Url);
        _ = factory.Server; // start the host (and its bus)
        var clients = factory.Services.GetRequiredService<IClientFactory>();
        await BusScenario.AssertRoundTrip(clients.CreateRequestClient<EstimateOpsCommand>());
    }
}
