using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;

namespace InferenceScheduler.Application.Live;

/// <summary>
/// Which TLS certificates a replica accepts from the owner it forwards a call to (an owner advertised at an https
/// address), in order: any certificate the system trust store validates for the owner's address; the very certificate
/// this host serves on its own gRPC endpoint (replicas commonly share one, and presenting it proves the peer holds its
/// key, so its names need not match the address); a certificate for the address that chains to an authority in
/// <see cref="LiveServingOptions.ForwardingCaPath"/> or to a CA certificate in this host's own certificate file
/// (revocation is not checked for these private authorities).
/// <see cref="LiveServingOptions.ForwardingAcceptAnyCertificate"/> accepts everything (development only). Each refusal
/// is kept per address, to name it in the caller's error.
/// </summary>
public sealed class ForwardingTrust
{
    private readonly HashSet<string> _own;
    private readonly X509Certificate2Collection _authorities;
    private readonly ConcurrentDictionary<string, string> _refusals = new(StringComparer.OrdinalIgnoreCase);

    public ForwardingTrust(IEnumerable<X509Certificate2> own, IEnumerable<X509Certificate2> authorities,
        bool acceptAny = false)
    {
        _own = own.Select(c => c.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        _authorities = [.. authorities];
        AcceptAny = acceptAny;
    }

    public bool AcceptAny { get; }

    /// <summary>From the options and the host's own gRPC certificate
    /// (<c>Kestrel:Endpoints:Grpc:Certificate</c>, else <c>Kestrel:Certificates:Default</c>).</summary>
    /// <param name="contentRoot">What relative paths are relative to (the host's content root, as for
    /// Kestrel).</param>
    public static ForwardingTrust From(LiveServingOptions options, IConfiguration configuration, string contentRoot)
    {
        var own = OwnCertificates(configuration, contentRoot);
        var authorities = string.IsNullOrWhiteSpace(options.ForwardingCaPath)
            ? []
            : Load(Path.Combine(contentRoot, options.ForwardingCaPath), null, LiveServingOptions.CaPathSetting);
        // The CA certificates in this host's own certificate file (its chain) are authorities too.
        return new ForwardingTrust(own, [.. authorities, .. own.Where(IsAuthority)],
            options.ForwardingAcceptAnyCertificate);
    }

    /// <summary>Whether to accept <paramref name="certificate"/> from the owner at <paramref name="address"/>, given
    /// the platform's verdict <paramref name="errors"/> against the system store.</summary>
    public bool Accept(string address, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (AcceptAny || errors == SslPolicyErrors.None) return true;
        if (certificate is null) return Refuse(address, "it presented no certificate");
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (_own.Contains(presented.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)))
            return true;
        string subject = Quote(presented.Subject);
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return Refuse(address, $"its certificate {subject} does not name the address");
        if (_authorities.Count == 0)
            return Refuse(address, $"its certificate {subject} does not chain to a trusted authority");
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
            foreach (var e in chain.ChainElements) custom.ChainPolicy.ExtraStore.Add(e.Certificate);
        if (custom.Build(presented)) return true;
        string status = string.Join(", ", custom.ChainStatus.Select(s => s.Status).Distinct());
        return Refuse(address, $"its certificate {subject} does not chain to a configured authority ({status})");
    }

    /// <summary>Why the last certificate from <paramref name="address"/> was refused, if one was.</summary>
    public string? Refusal(string address) => _refusals.TryGetValue(address, out var r) ? r : null;

    private bool Refuse(string address, string reason)
    {
        _refusals[address] = reason;
        return false;
    }

    /// <summary>Every certificate of a PEM file (certificates only; keys are skipped), or of a PKCS#12 or DER
    /// file.</summary>
    public static X509Certificate2Collection Load(string path, string? password, string setting)
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            var certificates = new X509Certificate2Collection();
            if (System.Text.Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 4096)).Contains("-----BEGIN"))
                certificates.ImportFromPem(System.Text.Encoding.UTF8.GetString(bytes));
            else if (X509Certificate2.GetCertContentType(bytes) == X509ContentType.Pkcs12)
                certificates.AddRange(X509CertificateLoader.LoadPkcs12Collection(bytes, password));
            else
                certificates.Add(X509CertificateLoader.LoadCertificate(bytes));
            return certificates.Count > 0
                ? certificates
                : throw new InvalidOperationException($"{setting}: {path} holds no certificate");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException
                                      or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException($"{setting}: cannot read a certificate from {path}: {e.Message}", e);
        }
    }

    private static X509Certificate2Collection OwnCertificates(IConfiguration configuration, string contentRoot)
    {
        foreach (string section in new[] { "Kestrel:Endpoints:Grpc:Certificate", "Kestrel:Certificates:Default" })
        {
            string? path = configuration[$"{section}:Path"];
            if (string.IsNullOrWhiteSpace(path)) continue;
            // Kestrel reads the same file and fails the start itself if it is unusable.
            try
            {
                return Load(Path.Combine(contentRoot, path), configuration[$"{section}:Password"], $"{section}:Path");
            }
            catch (InvalidOperationException) { return []; }
        }
        return [];
    }

    private static bool IsAuthority(X509Certificate2 c) =>
        c.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

    private static string Quote(string s) => s.Length <= 100 ? $"\"{s}\"" : $"\"{s[..100]}…\"";
}
