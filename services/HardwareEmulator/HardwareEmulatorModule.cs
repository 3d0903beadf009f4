using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Grpc;
using HardwareEmulator.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Platform.ServiceDefaults;

namespace HardwareEmulator;

/// <summary>Composition of the hardware-emulator role.</summary>
public static class HardwareEmulatorModule
{
    public static WebApplicationBuilder AddHardwareEmulator(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DeviceCatalog>();
        builder.Services.AddSingleton<TimingModel>();
        builder.Services.AddBusRegistration(x => x.AddConsumer<EstimateOpsConsumer>());
        return builder;
    }

    public static WebApplication MapHardwareEmulator(this WebApplication app)
    {
        app.MapGrpcService<EmulatorGrpcService>();
        return app;
    }
}
