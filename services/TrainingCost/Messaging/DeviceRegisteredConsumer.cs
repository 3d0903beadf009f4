using Platform.Modeling.Devices;
using MassTransit;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messaging;
using TrainingCost.Caching;

namespace TrainingCost.Messaging;

/// <summary>
/// Drops cached emulator op timings and cached estimates of a device the emulator has just registered or replaced,
/// so the next estimate on that id uses the new specs. Every instance of the role receives the event (own queue).
/// </summary>
public sealed class DeviceRegisteredConsumer(IEmulator emulator, TrainingEstimateCache estimates,
    ILogger<DeviceRegisteredConsumer> logger) : IConsumer<DeviceRegistered>
{
    public Task Consume(ConsumeContext<DeviceRegistered> context)
    {
        emulator.Forget(context.Message.DeviceId);
        estimates.Forget(context.Message.DeviceId);
        logger.LogInformation(
            "Device {DeviceId} registered (replaced: {Replaced}); dropped its cached op timings and estimates",
            context.Message.DeviceId, context.Message.Replaced);
        return Task.CompletedTask;
    }
}
