using HardwareEmulator.Domain.Devices;
using MassTransit;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messaging;

namespace HardwareEmulator.Messaging;

/// <summary>
/// Reads a device another emulator replica registered or replaced again from the shared store, so every replica
/// answers GetDevice and estimates with it. Every replica receives the event (own queue); the replica that
/// registered the device reloads what it wrote. Without a store the catalog holds nothing to reload.
/// </summary>
public sealed class DeviceReloadConsumer(DeviceCatalog catalog, ILogger<DeviceReloadConsumer> logger)
    : IConsumer<DeviceRegistered>
{
    public Task Consume(ConsumeContext<DeviceRegistered> context)
    {
        string id = context.Message.DeviceId;
        if (catalog.Reload(id))
            logger.LogInformation("Device {DeviceId} reloaded from the store (replaced: {Replaced})", id,
                context.Message.Replaced);
        return Task.CompletedTask;
    }
}
