using Grpc.AspNetCore.Server;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Kernels;
using HardwareEmulator.Domain.Profiling;
using HardwareEmulator.Domain.Timing;
using HardwareEmulator.Grpc;
using HardwareEmulator.Mapping;
using HardwareEmulator.Messaging;
using HardwareEmulator.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.EmulatorClient;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Jobs;
using Platform.ServiceDefaults.Security;

namespace HardwareEmulator;

/// <summary>Composition of the hardware-emulator role.</summary>
public static class HardwareEmulatorModule
{
    public static WebApplicationBuilder AddHardwareEmulator(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<EmulatorOptions>()
            .BindConfiguration(EmulatorOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // The emulator's own message limit (RunKernel carries tensors) replaces the platform default for its service.
        builder.Services.AddOptions<GrpcServiceOptions<EmulatorGrpcService>>()
            .Configure<IOptions<EmulatorOptions>>((grpc, emulator) =>
            {
                grpc.MaxReceiveMessageSize = emulator.Value.MaxMessageBytes;
                grpc.MaxSendMessageSize = emulator.Value.MaxMessageBytes;
            });
        // Custom devices are kept in the platform database when the host registered one (AddPlatformDatabase).
        builder.Services.AddSingleton(sp =>
            new DeviceCatalog(sp.GetRequiredService<IOptions<EmulatorOptions>>().Value,
                sp.GetService<ICustomDeviceStore>()));
        builder.Services.AddHostedService<CustomDeviceLoader>();
        builder.Services.AddSingleton<TimingModel>();
        builder.Services.AddSingleton<ModelProfiler>();
        // Roles co-hosted with the emulator call it in-process through the one emulator client.
        builder.Services.AddSingleton<IEmulatorBackend, InProcessEmulatorBackend>();
        builder.Services.AddSingleton(sp => new KernelRunner(sp.GetRequiredService<TimingModel>(),
            sp.GetRequiredService<IOptions<EmulatorOptions>>().Value));
        // Kernel batches are jobs of the shared job model (kept in the platform database when there is one).
        builder.AddPlatformJobs();
        builder.Services.AddBusRegistration(x =>
        {
            x.AddConsumer<EstimateOpsConsumer>();
            x.AddConsumer<KernelBatchConsumer>();
        });
        // Every replica reloads a device another one registered (from the shared store).
        builder.Services.AddBroadcastConsumer<DeviceReloadConsumer>();
        return builder;
    }

    public static WebApplication MapHardwareEmulator(this WebApplication app)
    {
        app.MapGrpcService<EmulatorGrpcService>().RequireAuthorization(PlatformScopes.ReadPolicy);
        return app;
    }
}
