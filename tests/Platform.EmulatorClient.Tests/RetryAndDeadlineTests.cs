using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Contracts.Emulator.V1;
using Platform.Modeling.Devices;
using Platform.Modeling.Errors;

namespace Platform.EmulatorClient.Tests;

/// <summary>The gRPC backend as a separately deployed role uses it, against a scripted emulator on loopback.</summary>
public sealed class RetryAndDeadlineTests : IAsyncLifetime
{
    private readonly ScriptedEmulator _script = new();
    private WebApplication? _server;
    private string _address = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(_script);
        _server = builder.Build();
        _server.MapGrpcService<ScriptedEmulatorService>();
        await _server.StartAsync();
        _address = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.First();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private IEmulator Client(string timeout = "00:00:05", int attempts = 4)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration["Platform:Endpoints:Emulator"] = _address;
        builder.Configuration["Platform:EmulatorClient:CallTimeout"] = timeout;
        builder.Configuration["Platform:EmulatorClient:MaxAttempts"] = attempts.ToString();
        builder.AddEmulatorClient();
        return builder.Build().Services.GetRequiredService<IEmulator>();
    }

    [Fact]
    public async Task Unavailable_is_retried_with_backoff_until_the_emulator_answers()
    {
        _script.UnavailableFirst = 2;
        var device = await Client().GetDeviceAsync("h800", "device", default);
        Assert.Equal("h800", device.Id);
        Assert.Equal(3, _script.Calls);
    }

    [Fact]
    public async Task An_emulator_that_stays_unavailable_is_reported_as_the_missing_dependency()
    {
        _script.UnavailableFirst = 100;
        var e = await Assert.ThrowsAsync<DependencyUnavailableException>(() =>
            Client(attempts: 3).GetDeviceAsync("h800", "device", default));
        Assert.Equal("emulator", e.Field);
        Assert.Equal(3, _script.Calls);
    }

    [Fact]
    public async Task Every_call_has_a_deadline()
    {
        _script.Delay = TimeSpan.FromSeconds(30);
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<DependencyUnavailableException>(() =>
            Client(timeout: "00:00:00.300").GetDeviceAsync("h800", "device", default));
        Assert.Contains("DeadlineExceeded", e.Reason);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }
}

public sealed class ScriptedEmulator
{
    private int _calls;
    public int UnavailableFirst { get; set; }
    public TimeSpan Delay { get; set; }
    public int Calls => _calls;
    public int Next() => Interlocked.Increment(ref _calls);
}

public sealed class ScriptedEmulatorService(ScriptedEmulator script) : EmulatorService.EmulatorServiceBase
{
    public override async Task<GetDeviceResponse> GetDevice(GetDeviceRequest request, ServerCallContext context)
    {
        int call = script.Next();
        if (script.Delay > TimeSpan.Zero) await Task.Delay(script.Delay, context.CancellationToken);
        if (call <= script.UnavailableFirst) throw new RpcException(new Status(StatusCode.Unavailable, "starting"));
        return new GetDeviceResponse { Device = new Device { Id = request.Id, Name = "scripted", HbmGb = 80 } };
    }
}
