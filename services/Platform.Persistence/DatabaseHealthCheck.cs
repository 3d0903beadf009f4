using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Persistence;

/// <summary>
/// Readiness: the platform database answers. While it does not, the host is not ready (calls that need it answer
/// Unavailable naming "database").
/// </summary>
public sealed class DatabaseHealthCheck(IDbContextFactory<PlatformDbContext> contexts) : IHealthCheck
{
    /// <summary>The readiness tag (Platform.ServiceDefaults' ReadyTag: /health/ready and gRPC "readiness").</summary>
    public const string ReadyTag = "ready";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context,
        CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            return await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("the platform database cannot be reached");
        }
        catch (Exception e) when (Db.IsDatabaseFailure(e))
        {
            return HealthCheckResult.Unhealthy("the platform database cannot be reached", e);
        }
    }
}
