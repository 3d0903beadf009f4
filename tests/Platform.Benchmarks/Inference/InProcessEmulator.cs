using System.Net;
using Grpc.Net.Client;
using HardwareEmulator;
using InferenceScheduler.Grpc;
using InferenceScheduler.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Contracts.Emulator.V1;
using Platform.ServiceDefaults;

namespace Platform.Benchmarks.Inference;

/// <summary>
/// The emulator role on a loopback port, so the benchmark builds step-time profiles over real gRPC exactly as the
/// service does, and a planner wired to it. The simulation itself then runs in-process with no gRPC.
/// </summary>
internal sealed class InProcessEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;
    public SimulationPlanner Planner { get; }

    private InProcessEmulator(WebApplication app, GrpcChannel channel)
    {
        _app = app;
        _channel = channel;
        Planner = new SimulationPlanner(new EmulatorProfiles(new EmulatorService.EmulatorServiceClient(channel), NullLogger<EmulatorProfiles>.Instance));
    }

    public static async Task<InProcessEmulator> StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Serilog:MinimumLevel:Default"] = "Warning";
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.AddServiceDefaults();
        builder.AddHardwareEmulator();
        var app = builder.Build();
        app.MapHardwareEmulator();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new InProcessEmulator(app, GrpcChannel.ForAddress(address));
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
