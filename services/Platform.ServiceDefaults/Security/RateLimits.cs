using System.Threading.RateLimiting;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults.Security;

/// <summary>
/// Per-client rate limits (section "RateLimit"): a token bucket per client — the API key's client name or the
/// token's subject, else the caller's IP address — refilled at PermitsPerSecond up to Burst. A call past it answers
/// ResourceExhausted (gRPC) or 429 (HTTP) with Retry-After; health checks and /metrics are never limited.
/// </summary>
public static class RateLimits
{
    public static WebApplicationBuilder AddPlatformRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var limits = context.RequestServices.GetRequiredService<IOptionsMonitor<RateLimitOptions>>()
                    .CurrentValue;
                if (limits.PermitsPerSecond <= 0 || Exempt(context.Request.Path))
                    return RateLimitPartition.GetNoLimiter("");
                return RateLimitPartition.GetTokenBucketLimiter(ClientOf(context), _ =>
                    new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = limits.Burst,
                        TokensPerPeriod = Math.Max(1, (int)Math.Ceiling(limits.PermitsPerSecond / 10)),
                        ReplenishmentPeriod = TimeSpan.FromSeconds(
                            Math.Max(1, Math.Ceiling(limits.PermitsPerSecond / 10)) / limits.PermitsPerSecond),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    });
            });
            o.OnRejected = (rejected, _) =>
            {
                var context = rejected.HttpContext;
                TimeSpan wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after)
                    ? after
                    : TimeSpan.FromSeconds(1);
                if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
                    return new ValueTask(GrpcStatus.WriteAsync(context, StatusCode.ResourceExhausted,
                        $"rate limit: this client made more calls than RateLimit:PermitsPerSecond allows; retry after "
                        + $"{Math.Max(1, Math.Ceiling(wait.TotalSeconds)):0} s", wait));
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(
                    System.Globalization.CultureInfo.InvariantCulture);
                return ValueTask.CompletedTask;
            };
        });
        return builder;
    }

    public static WebApplication UsePlatformRateLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    private static bool Exempt(PathString path) =>
        path.StartsWithSegments("/grpc.health.v1.Health") || path.StartsWithSegments("/health")
        || path.StartsWithSegments("/metrics");

    /// <summary>The authenticated client's name (API key client or token subject), else its IP address.</summary>
    private static string ClientOf(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name }
            ? "client:" + name
            : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
