using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.ServiceDefaults;

/// <summary>
/// Readiness of the message bus: ready only while the bus is connected with every receive endpoint up. MassTransit's
/// own check answers Degraded for a bus that lost its broker (its endpoints faulted, the bus running), which
/// readiness reports as serving (HTTP 200); its MinimalFailureStatus option only softens a status, never hardens it.
/// A process that cannot hand work to the bus is not ready, so anything short of healthy is unhealthy here.
/// </summary>
public sealed class BusReadinessCheck(IBusControl bus) : IHealthCheck
{
    public const string Name = "message-bus";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        var health = bus.CheckHealth();
        return Task.FromResult(health.Status == BusHealthStatus.Healthy
            ? HealthCheckResult.Healthy(health.Description)
            : HealthCheckResult.Unhealthy($"message bus {health.Status}: {health.Description}", health.Exception));
    }
}
