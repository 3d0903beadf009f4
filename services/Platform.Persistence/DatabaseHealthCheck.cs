using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Persistence;

/// <summary>
/// Readiness: the platform database answers. While it does not, the host is not ready (calls that need it answer
/// Unavailable naming "database"). One probe runs at a time: checks that come while it runs wait for it, and a check
/// gives up on it at its registration's timeout (so readiness answers NOT_SERVING while a database that does not
/// answer keeps the probe waiting for its own connect and command timeouts).
/// </summary>
public sealed class DatabaseHealthCheck(IDbContextFactory<PlatformDbContext> contexts) : IHealthCheck
{
    /// <summary>The readiness tag (Platform.ServiceDefaults' ReadyTag: /health/ready and gRPC "readiness").</summary>
    public const string ReadyTag = "ready";

    private const string Unreachable = "the platform database cannot be reached";

    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _probe;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context,
        CancellationToken cancellationToken = default)
    {
        Task<HealthCheckResult> probe;
        lock (_gate)
            probe = _probe is { IsCompleted: false } running ? running : _probe = ProbeAsync();
        // Cancelled at the registration's timeout: the health check service reports that as unhealthy.
        return probe.WaitAsync(cancellationToken);
    }

    private async Task<HealthCheckResult> ProbeAsync()
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync();
            return await db.Database.CanConnectAsync()
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy(Unreachable);
        }
        catch (Exception e) when (Db.IsDatabaseFailure(e))
        {
            return HealthCheckResult.Unhealthy(Unreachable, e);
        }
    }
}
