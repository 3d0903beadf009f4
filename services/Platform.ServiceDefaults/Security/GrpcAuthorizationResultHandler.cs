using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace Platform.ServiceDefaults.Security;

/// <summary>
/// A refused gRPC call answers with a gRPC status that says what to do — Unauthenticated ("send an API key or a
/// bearer token") or PermissionDenied (the scope it lacks) — instead of a bare HTTP 401/403. Other requests keep
/// ASP.NET Core's answer (401 with WWW-Authenticate, 403).
/// </summary>
public sealed class GrpcAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy,
        PolicyAuthorizationResult authorizeResult)
    {
        bool grpc = context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
        if (authorizeResult.Succeeded) return _default.HandleAsync(next, context, policy, authorizeResult);
        var scope = policy.Requirements.OfType<ScopeRequirement>().Select(r => r.Scope).FirstOrDefault() ?? "read";
        if (!grpc && context.Request.Path.StartsWithSegments("/v1"))
            return OpenAiError(context, authorizeResult.Forbidden && context.User.Identity?.IsAuthenticated == true,
                scope);
        if (!grpc) return _default.HandleAsync(next, context, policy, authorizeResult);
        return authorizeResult.Forbidden && context.User.Identity?.IsAuthenticated == true
            ? GrpcStatus.WriteAsync(context, StatusCode.PermissionDenied,
                $"the caller's credentials lack the '{scope}' scope this method needs")
            : GrpcStatus.WriteAsync(context, StatusCode.Unauthenticated,
                "authentication required: send an API key (metadata x-api-key) or a bearer token (authorization: "
                + "Bearer ...); the one sent, if any, is not valid or has expired");
    }

    /// <summary>The OpenAI-compatible routes answer as OpenAI does: 401 (or 403) with an error object.</summary>
    private static Task OpenAiError(HttpContext context, bool forbidden, string scope)
    {
        context.Response.StatusCode = forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
        string message = forbidden
            ? $"the API key lacks the '{scope}' scope this route needs"
            : "authentication required: send an API key (authorization: Bearer KEY, or x-api-key: KEY)";
        return context.Response.WriteAsJsonAsync(new
        {
            error = new
            {
                message, type = "invalid_request_error", param = (string?)null,
                code = forbidden ? "insufficient_scope" : "invalid_api_key",
            },
        });
    }
}

/// <summary>Writes a gRPC status as a trailers-only response (before the service ran).</summary>
internal static class GrpcStatus
{
    public static Task WriteAsync(HttpContext context, StatusCode code, string message, TimeSpan? retryAfter = null)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        if (retryAfter is { } wait)
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
                .ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Task.CompletedTask;
    }
}
