using Grpc.Core;
using Grpc.Health.V1;
using HardwareEmulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Contracts.Emulator.V1;
using Platform.Contracts.Inference.V1;
using Platform.Modeling;
using Platform.Modeling.Devices;
using Platform.Modeling.Errors;
using Platform.Modeling.Ops;
using Platform.Testing;

namespace Platform.EmulatorClient.Tests;

public sealed class EmulatorClientTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static readonly IOptions<EmulatorClientOptions> Defaults = Options.Create(new EmulatorClientOptions());

    [Fact]
    public void Co_hosted_roles_call_the_emulator_in_process()
    {
        Assert.IsType<InProcessEmulatorBackend>(factory.Services.GetRequiredService<IEmulatorBackend>());
        Assert.IsType<Emulator>(factory.Services.GetRequiredService<IEmulator>());
    }

    [Fact]
    public async Task In_process_and_gRPC_answers_are_identical()
    {
        var grpc = new Emulator(new GrpcEmulatorBackend(new EmulatorService.EmulatorServiceClient(factory.Channel),
            Defaults,
            new EmulatorAddress("test server")), Defaults);
        var local = new Emulator(factory.Services.GetRequiredService<IEmulatorBackend>(), Defaults);
        var ops = ModelOps.Decompose(ModelPresets.Get("deepseek-v3").Architecture,
                new OpLayout(ExpertParallel: 32, GemmFormat: DataType.Fp8E4M3), PassShape.Decode(64, 4096))
            .SelectMany(g => g.Ops).ToList();
        var viaGrpc = await grpc.TimeAsync("h800", ops, "device", default);
        var inProcess = await local.TimeAsync("h800", ops, "device", default);
        Assert.Equal(inProcess, viaGrpc);
        // Serving kernels (what inference profiles ask for) travel over gRPC too; they slow the compute-bound ops.
        var servingGrpc = await grpc.TimeAsync("h800", ops, "device", default, KernelProfile.Serving);
        var servingLocal = await local.TimeAsync("h800", ops, "device", default, KernelProfile.Serving);
        Assert.Equal(servingLocal, servingGrpc);
        Assert.True(servingLocal.Sum(t => t.DeviceSeconds) > inProcess.Sum(t => t.DeviceSeconds));
        Assert.Equal(await local.GetDeviceAsync("h800", "device", default) with { Source = "", Notes = "" },
            (await grpc.GetDeviceAsync("h800", "device", default)) with { Source = "", Notes = "" });
    }

    [Fact]
    public async Task An_op_the_device_cannot_run_is_a_precondition_naming_the_field()
    {
        var emulator = factory.Services.GetRequiredService<IEmulator>();
        var e = await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            emulator.TimeAsync("v100", [new GemmShape("fp8", DataType.Fp8E4M3, 128, 128, 128)], "precision", default));
        Assert.Equal("precision", e.Field);
        var viaGrpc = new Emulator(
            new GrpcEmulatorBackend(new EmulatorService.EmulatorServiceClient(factory.Channel), Defaults,
                new EmulatorAddress("test server")),
            Defaults);
        var remote = await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            viaGrpc.TimeAsync("v100", [new GemmShape("fp8", DataType.Fp8E4M3, 128, 128, 128)], "precision", default));
        Assert.Equal(e.Message, remote.Message); // the same answer in-process and over gRPC
        Assert.Contains("no Fp8E4M3 units", e.Reason);
        Assert.Equal("cluster.accelerator", (await Assert.ThrowsAsync<NotFoundException>(() =>
            emulator.GetDeviceAsync("no-such-chip", "cluster.accelerator", default))).Field);
    }
}

/// <summary>The training and inference roles with the emulator nowhere to be found.</summary>
public sealed class NoEmulatorFactory : PlatformFactory
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Platform:Roles"] = "training,inference",
        ["Platform:Endpoints:Emulator"] = "http://127.0.0.1:9", // discard port: nothing answers
        ["Platform:EmulatorClient:CallTimeout"] = "00:00:02",
        ["Platform:EmulatorClient:MaxAttempts"] = "2",
    };
}

public sealed class MissingEmulatorTests(NoEmulatorFactory factory) : IClassFixture<NoEmulatorFactory>
{
    [Fact]
    public async Task Readiness_is_not_serving_while_the_emulator_does_not_answer()
    {
        var health = new Health.HealthClient(factory.Channel);
        var ready = await health.CheckAsync(new HealthCheckRequest { Service = "readiness" });
        var live = await health.CheckAsync(new HealthCheckRequest { Service = "liveness" });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, ready.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, live.Status);
    }

    [Fact]
    public async Task Calls_that_need_it_answer_unavailable_naming_the_emulator()
    {
        var client = new InferenceSchedulerService.InferenceSchedulerServiceClient(factory.Channel);
        var request = Google.Protobuf.JsonParser.Default.Parse<SimulateWorkloadRequest>(
            """
            {"model":{"preset":"llama-3.1-8b"},"deployment":{"accelerator":"h100-sxm","replicas":1,"tensorParallel":1},
            "workload":{"synthetic":{"arrival":"ARRIVAL_POISSON","ratePerSecond":1,"requests":10,"seed":1,
            "promptTokens":{"fixed":100},"outputTokens":{"fixed":10}}}}
            """);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.SimulateWorkloadAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Contains("emulator", e.Status.Detail);
    }
}
