using HardwareEmulator.Domain.Devices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HardwareEmulator.Persistence;

/// <summary>
/// At start, loads the stored custom devices into the catalog (<see cref="DeviceCatalog.LoadStored"/>).
/// </summary>
public sealed class CustomDeviceLoader(DeviceCatalog catalog, ILogger<CustomDeviceLoader> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        int loaded = catalog.LoadStored(cancellationToken);
        logger.LogInformation("Loaded {Count} stored custom device(s) into the catalog", loaded);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
