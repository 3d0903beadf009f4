using InferenceScheduler.Infrastructure;
using MassTransit;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messaging;

namespace InferenceScheduler.Messaging;

/// <summary>
/// Drops the cached accelerator facts and step-time profiles of a device the emulator has just registered or replaced,
/// so the next simulation on that id uses its new specs. Every instance of the role receives the event (own queue).
/// </summary>
public sealed class InferenceDeviceRegisteredConsumer(EmulatorProfiles profiles,
    ILogger<InferenceDeviceRegisteredConsumer> logger)
    : IConsumer<DeviceRegistered>
{
    public Task Consume(ConsumeContext<DeviceRegistered> context)
    {
        int dropped = profiles.Forget(context.Message.DeviceId);
        logger.LogInformation(
            "Device {DeviceId} registered (replaced: {Replaced}); dropped {Dropped} cached step-time profiles",
            context.Message.DeviceId, context.Message.Replaced, dropped);
        return Task.CompletedTask;
    }
}
