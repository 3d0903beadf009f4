using System.ComponentModel.DataAnnotations;

namespace Platform.ServiceDefaults.Security;

/// <summary>
/// Authentication and authorization of every gRPC call (configuration section "Auth"). Off by default (`make run` on
/// a laptop); on in docker-compose and Kubernetes. With it on, a call carries an API key (metadata
/// <c>x-api-key: KEY</c>, or <c>authorization: ApiKey KEY</c>) or a JWT (<c>authorization: Bearer TOKEN</c>);
/// without valid credentials it answers Unauthenticated, without the scope it needs PermissionDenied. Health checks
/// and /metrics stay open to probes and scrapers.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public bool Enabled { get; set; }

    /// <summary>
    /// API keys by client name: <c>Auth:ApiKeys:&lt;client&gt;:Sha256</c> is the key's SHA-256 in hex (the key
    /// itself is never stored), <c>Auth:ApiKeys:&lt;client&gt;:Scopes</c> its scopes ("read", "write" or both).
    /// </summary>
    public Dictionary<string, ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>JWT bearer tokens (Auth:Jwt); off unless a signing key or an authority is given.</summary>
    public JwtOptions Jwt { get; set; } = new();

    /// <summary>The API key this host presents when it calls another role (e.g. training → emulator).</summary>
    public string? ClientApiKey { get; set; }
}

/// <summary>One client's API key: its SHA-256 and scopes.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>SHA-256 of the key, 64 hex digits (e.g. <c>printf %s "$KEY" | sha256sum</c>).</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>Space- or comma-separated scopes: "read" (queries), "write" (submitting jobs, registering devices).
    /// </summary>
    public string Scopes { get; set; } = PlatformScopes.Read;
}

/// <summary>JWT bearer settings (Auth:Jwt).</summary>
public sealed class JwtOptions
{
    /// <summary>OpenID Connect authority whose signing keys validate tokens (https://login.example.com/).</summary>
    public string? Authority { get; set; }

    /// <summary>A shared HMAC-SHA256 signing key (at least 32 bytes), for issuers without discovery.</summary>
    [MinLength(32)]
    public string? SigningKey { get; set; }

    /// <summary>The expected "iss"; required with a signing key.</summary>
    public string? Issuer { get; set; }

    /// <summary>The expected "aud".</summary>
    public string Audience { get; set; } = "platform";

    /// <summary>Clock skew allowed on "exp" and "nbf".</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public bool Configured => !string.IsNullOrEmpty(Authority) || !string.IsNullOrEmpty(SigningKey);
}

/// <summary>Per-client rate limits (configuration section "RateLimit"); off while PermitsPerSecond is 0.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    /// <summary>Calls per second one client (API key or token subject, else its IP) may make; 0 = off.</summary>
    [Range(0, 1_000_000)]
    public double PermitsPerSecond { get; set; }

    /// <summary>Calls a client may make at once above the steady rate (the token bucket's size).</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 100;
}

/// <summary>The scopes a call may need, as claims ("scope", space-separated) of an API key or a JWT.</summary>
public static class PlatformScopes
{
    /// <summary>Queries: listing, estimating, simulating, reading jobs.</summary>
    public const string Read = "read";

    /// <summary>Changes: submitting and cancelling jobs, registering devices. Implies read.</summary>
    public const string Write = "write";

    /// <summary>The authorization policy of queries.</summary>
    public const string ReadPolicy = "platform.read";

    /// <summary>The authorization policy of changes.</summary>
    public const string WritePolicy = "platform.write";
}
