using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Platform.ServiceDefaults.Security;

/// <summary>
/// Authentication (API keys, JWT bearer), scope authorization and per-client rate limits for every role. Services
/// are mapped with <see cref="PlatformScopes.ReadPolicy"/>; methods that change state carry
/// <c>[Authorize(Policy = PlatformScopes.WritePolicy)]</c>. With Auth:Enabled false every policy passes.
/// </summary>
public static class PlatformSecurity
{
    private const string Selector = "platform";

    public static WebApplicationBuilder AddPlatformSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.ApiKeys.Values.All(k => System.Text.RegularExpressions.Regex.IsMatch(k.Sha256,
                "^[0-9a-fA-F]{64}$")), "Auth:ApiKeys:<client>:Sha256 must be the key's SHA-256 as 64 hex digits")
            .Validate(o => string.IsNullOrEmpty(o.Jwt.SigningKey) || !string.IsNullOrEmpty(o.Jwt.Issuer),
                "Auth:Jwt:Issuer is required with Auth:Jwt:SigningKey")
            .ValidateOnStart();
        services.AddAuthentication(Selector)
            .AddPolicyScheme(Selector, "API key or bearer token", o => o.ForwardDefaultSelector = context =>
                ApiKeyAuthenticationHandler.KeyOf(context.Request) is not null
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : JwtBearerDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName,
                null)
            .AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((o, auth) => Configure(o, auth.Value.Jwt));
        services.AddAuthorization(o =>
        {
            o.AddPolicy(PlatformScopes.ReadPolicy, p => p.AddRequirements(new ScopeRequirement(PlatformScopes.Read)));
            o.AddPolicy(PlatformScopes.WritePolicy,
                p => p.AddRequirements(new ScopeRequirement(PlatformScopes.Write)));
        });
        services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, GrpcAuthorizationResultHandler>();
        builder.AddPlatformRateLimits();
        return builder;
    }

    /// <summary>Authentication, rate limits (which key on the authenticated client), then authorization.</summary>
    public static WebApplication UsePlatformSecurity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UsePlatformRateLimits();
        app.UseAuthorization();
        return app;
    }

    private static void Configure(JwtBearerOptions o, JwtOptions jwt)
    {
        o.MapInboundClaims = false; // keep "scope" and "sub" as the token names them
        if (!string.IsNullOrEmpty(jwt.Authority)) o.Authority = jwt.Authority;
        o.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = !string.IsNullOrEmpty(jwt.Issuer) || !string.IsNullOrEmpty(jwt.Authority),
            ValidIssuer = jwt.Issuer,
            ValidAudience = jwt.Audience,
            ValidateAudience = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = jwt.ClockSkew,
            NameClaimType = "sub",
            IssuerSigningKey = string.IsNullOrEmpty(jwt.SigningKey)
                ? null
                : new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwt.SigningKey)),
            // Without a signing key or an authority no token can be valid.
            ValidateIssuerSigningKey = true,
        };
    }
}

/// <summary>The "scope" claims of a principal (space-separated in one claim, or one claim each).</summary>
public static class ScopeClaims
{
    public const string Type = "scope";

    public static IEnumerable<string> Split(string scopes) =>
        scopes.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Whether the principal holds <paramref name="scope"/>; "write" implies "read".</summary>
    public static bool Has(System.Security.Claims.ClaimsPrincipal user, string scope)
    {
        var held = user.FindAll(Type).Concat(user.FindAll("scp")).SelectMany(c => Split(c.Value)).ToHashSet();
        return held.Contains(scope) || (scope == PlatformScopes.Read && held.Contains(PlatformScopes.Write));
    }
}

/// <summary>A call needs this scope.</summary>
public sealed record ScopeRequirement(string Scope) : IAuthorizationRequirement;

/// <summary>Passes when authentication is off, or the caller is authenticated and holds the scope.</summary>
public sealed class ScopeHandler(IOptionsMonitor<AuthOptions> auth) : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (!auth.CurrentValue.Enabled
            || (context.User.Identity?.IsAuthenticated == true && ScopeClaims.Has(context.User, requirement.Scope)))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
