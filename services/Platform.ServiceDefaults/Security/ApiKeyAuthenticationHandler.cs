using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults.Security;

/// <summary>
/// Authenticates a call by its API key (metadata <c>x-api-key</c>, <c>authorization: ApiKey KEY</c>, or, as OpenAI
/// clients send it, <c>authorization: Bearer KEY</c> with a key that is not a JWT (JWTs always contain dots)): the
/// key's SHA-256 is compared in constant time with every configured hash (all of them, so the time says nothing about
/// which matched). The client's name and scopes become the principal.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger, UrlEncoder encoder, IOptionsMonitor<AuthOptions> auth)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "x-api-key";

    /// <summary>The API key a request carries, or null.</summary>
    public static string? KeyOf(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        if (request.Headers.TryGetValue(Header, out var key) && key.Count > 0) return key[0];
        string? authorization = request.Headers.Authorization;
        if (authorization is null) return null;
        if (authorization.StartsWith(SchemeName + " ", StringComparison.OrdinalIgnoreCase))
            return authorization[(SchemeName.Length + 1)..].Trim();
        const string bearer = "Bearer ";
        if (!authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)) return null;
        string token = authorization[bearer.Length..].Trim();
        return token.Length > 0 && !token.Contains('.') ? token : null;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? key = KeyOf(Request);
        if (string.IsNullOrEmpty(key)) return Task.FromResult(AuthenticateResult.NoResult());
        // Longer than any key worth hashing: refused without work (and without echoing it).
        if (key.Length > 512) return Task.FromResult(AuthenticateResult.Fail("the API key is not valid"));
        byte[] presented = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        (string Name, ApiKeyOptions Key)? match = null;
        foreach (var (name, k) in auth.CurrentValue.ApiKeys)
        {
            byte[] expected = Convert.FromHexString(k.Sha256);
            if (CryptographicOperations.FixedTimeEquals(presented, expected)) match = (name, k);
        }
        if (match is not { } m) return Task.FromResult(AuthenticateResult.Fail("the API key is not valid"));
        var claims = new List<Claim> { new(ClaimTypes.Name, m.Name), new("client", m.Name) };
        claims.AddRange(ScopeClaims.Split(m.Key.Scopes).Select(s => new Claim(ScopeClaims.Type, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
