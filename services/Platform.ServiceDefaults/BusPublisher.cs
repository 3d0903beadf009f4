using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Modeling.Errors;

namespace Platform.ServiceDefaults;

/// <summary>
/// Publishes a message on behalf of a caller that waits for the answer (a gRPC request handing work to the bus): it
/// fails fast with <see cref="DependencyUnavailableException"/> naming the message bus when the bus is not connected,
/// and when the broker does not take the message within <see cref="BusDeliveryOptions.PublishTimeout"/>, instead of
/// waiting for the caller's deadline. Its caller undoes what it recorded for the message (e.g. the job) on failure.
/// </summary>
public sealed class BusPublisher(IPublishEndpoint publish, IBusControl bus, IOptions<BusDeliveryOptions> options,
    ILogger<BusPublisher> logger)
{
    /// <summary>The dependency errors name (the field of <see cref="DependencyUnavailableException"/>).</summary>
    public const string Dependency = "message bus";

    /// <summary>What the caller is told; it says nothing was accepted.</summary>
    public const string UnreachableReason =
        "the message bus (RabbitMQ) is unreachable, so nothing was accepted; try again shortly";

    /// <summary>
    /// Throws <see cref="DependencyUnavailableException"/> unless the bus is connected with every receive endpoint up
    /// (what readiness reports, <see cref="BusReadinessCheck"/>).
    /// </summary>
    public void ThrowIfUnreachable()
    {
        var health = bus.CheckHealth();
        if (health.Status == BusHealthStatus.Healthy) return;
        logger.LogWarning("Refused a request needing the message bus: bus {Status} ({Description})", health.Status,
            health.Description);
        throw new DependencyUnavailableException(Dependency, UnreachableReason);
    }

    /// <summary>
    /// Publishes <paramref name="message"/>, or throws <see cref="DependencyUnavailableException"/> when the broker
    /// does not take it within the publish timeout (the caller's own cancellation stays a cancellation).
    /// </summary>
    public async Task PublishAsync<T>(T message, CancellationToken ct) where T : class
    {
        // A caller already gone publishes nothing (the transport would log the cancelled send as a fault).
        ct.ThrowIfCancellationRequested();
        var timeout = options.Value.PublishTimeout;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(timeout);
        try
        {
            await publish.Publish(message, bounded.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Publishing {MessageType} timed out after {Timeout}: the broker did not take it",
                typeof(T).Name, timeout);
            throw new DependencyUnavailableException(Dependency, UnreachableReason);
        }
        catch (Exception e) when (e is not OperationCanceledException and not PlatformException)
        {
            logger.LogWarning(e, "Publishing {MessageType} failed", typeof(T).Name);
            throw new DependencyUnavailableException(Dependency, UnreachableReason);
        }
    }
}
