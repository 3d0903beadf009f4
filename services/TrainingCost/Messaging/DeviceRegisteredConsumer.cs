using MassTransit;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Messaging;
using TrainingCost.Grpc;

namespace TrainingCost.Messaging;

/// <summary>
/// Drops cached emulator op timings of a device the emulator has just registered or replaced, so the next
/// estimate on that id uses the new specs. Every instance of the role receives the event (own queue).
/// </summary>
public sealed class DeviceRegisteredConsumer(OpTimingCache cache, ILogger<DeviceRegisteredConsumer> logger) : IConsumer<DeviceRegistered>
{
    public Task Consume(ConsumeContext<DeviceRegistered> context)
    {
        string id = context.Message.DeviceId;
        int dropped = 0;
        foreach (var key in cache.Entries.Keys)
            if (string.Equals(key.Device, id, StringComparison.OrdinalIgnoreCase) && cache.Entries.TryRemove(key, out _))
                dropped++;
        logger.LogInformation("Device {DeviceId} registered (replaced: {Replaced}); dropped {Dropped} cached op timings",
            id, context.Message.Replaced, dropped);
        return Task.CompletedTask;
    }
}
