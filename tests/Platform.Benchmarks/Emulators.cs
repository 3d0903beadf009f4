using System.Net;
using Grpc.Net.Client;
using HardwareEmulator;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Contracts.Emulator.V1;
using Platform.EmulatorClient;
using Platform.Modeling.Devices;
using Platform.ServiceDefaults;

namespace Platform.Benchmarks;

/// <summary>
/// The emulator the benchmarks and `make validate` use, always through the services' own emulator client: in-process
/// (as when the roles share a host), or `--emulator grpc`: the emulator role on a loopback port, called over gRPC
/// exactly as a separately deployed role is.
/// </summary>
internal sealed class Emulators : IAsyncDisposable
{
    private readonly WebApplication? _app;
    private readonly GrpcChannel? _channel;
    public IEmulator Client { get; }
    public string Mode { get; }

    private Emulators(IEmulator client, string mode, WebApplication? app = null, GrpcChannel? channel = null)
    {
        Client = client;
        Mode = mode;
        _app = app;
        _channel = channel;
    }

    private static readonly IOptions<EmulatorClientOptions> Defaults = Options.Create(new EmulatorClientOptions());

    /// <summary>The client over the in-process backend (no server).</summary>
    public static IEmulator InProcess() => new Platform.EmulatorClient.Emulator(
        new InProcessEmulatorBackend(new DeviceCatalog(), new TimingModel()), Defaults);

    /// <summary>
    /// `--emulator grpc` in <paramref name="args"/> starts a loopback emulator role; otherwise in-process.
    /// </summary>
    public static async Task<Emulators> StartAsync(string[] args)
    {
        int i = Array.IndexOf(args, "--emulator");
        string mode = i >= 0 && i + 1 < args.Length ? args[i + 1] : "in-process";
        if (mode != "grpc") return new Emulators(InProcess(), "in-process");
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Serilog:MinimumLevel:Default"] = "Warning";
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.AddServiceDefaults();
        builder.AddHardwareEmulator();
        var app = builder.Build();
        app.MapHardwareEmulator();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.First();
        var channel = GrpcChannel.ForAddress(address);
        var backend = new GrpcEmulatorBackend(new EmulatorService.EmulatorServiceClient(channel), Defaults,
            new EmulatorAddress(address));
        return new Emulators(new Platform.EmulatorClient.Emulator(backend, Defaults), $"gRPC {address}", app, channel);
    }

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
