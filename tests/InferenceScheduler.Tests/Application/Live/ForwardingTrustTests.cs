using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using InferenceScheduler.Application.Live;
using Microsoft.Extensions.Configuration;

namespace InferenceScheduler.Tests.Application.Live;

/// <summary>
/// Which certificates a replica accepts from the owner it forwards to: what the system store validates, the very
/// certificate it serves itself (whatever the address), certificates for the address issued by a configured CA, and
/// anything only under the development opt-in; a refusal is kept to be named in the caller's error.
/// </summary>
public sealed class ForwardingTrustTests
{
    private const string Owner = "https://10.0.0.7:5080";
    private const SslPolicyErrors Chain = SslPolicyErrors.RemoteCertificateChainErrors;
    private const SslPolicyErrors Name = SslPolicyErrors.RemoteCertificateNameMismatch;

    [Fact]
    public void What_the_system_store_validates_is_accepted()
    {
        using var other = SelfSigned("CN=other");
        Assert.True(new ForwardingTrust([], []).Accept(Owner, other, null, SslPolicyErrors.None));
    }

    [Fact]
    public void The_hosts_own_certificate_is_accepted_even_for_another_name_and_a_stranger_is_refused()
    {
        using var own = SelfSigned("CN=shared-replicas");
        using var stranger = SelfSigned("CN=stranger");
        var trust = new ForwardingTrust([own], []);
        Assert.True(trust.Accept(Owner, own, null, Chain | Name));
        Assert.False(trust.Accept(Owner, stranger, null, Chain));
        Assert.Contains("CN=stranger", trust.Refusal(Owner));
        Assert.Contains("does not chain to a trusted authority", trust.Refusal(Owner));
    }

    [Fact]
    public void A_certificate_issued_by_the_configured_ca_is_accepted_for_its_own_address_only()
    {
        using var ca = Authority();
        using var leaf = Issued(ca, "CN=replica-a");
        Assert.True(new ForwardingTrust([], [ca]).Accept(Owner, leaf, null, Chain));
        var withoutCa = new ForwardingTrust([], []);
        Assert.False(withoutCa.Accept(Owner, leaf, null, Chain));
        var wrongName = new ForwardingTrust([], [ca]);
        Assert.False(wrongName.Accept(Owner, leaf, null, Chain | Name));
        Assert.Contains("does not name the address", wrongName.Refusal(Owner));
        using var otherCa = Authority();
        var otherTrust = new ForwardingTrust([], [otherCa]);
        Assert.False(otherTrust.Accept(Owner, leaf, null, Chain));
        Assert.Contains("configured authority", otherTrust.Refusal(Owner));
    }

    [Fact]
    public void The_development_opt_in_accepts_anything()
    {
        using var stranger = SelfSigned("CN=stranger");
        Assert.True(new ForwardingTrust([], [], acceptAny: true).Accept(Owner, stranger, null, Chain | Name));
    }

    [Fact]
    public void Settings_give_the_ca_file_and_the_hosts_own_certificate_and_a_missing_ca_file_names_the_setting()
    {
        string dir = Directory.CreateTempSubdirectory("forwarding-trust-").FullName;
        try
        {
            using var own = SelfSigned("CN=own");
            File.WriteAllBytes(Path.Combine(dir, "own.pfx"), own.Export(X509ContentType.Pfx, "pw"));
            using var ca = Authority();
            File.WriteAllText(Path.Combine(dir, "ca.crt"), ca.ExportCertificatePem());
            using var leaf = Issued(ca, "CN=replica-b");
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Grpc:Certificate:Path"] = "own.pfx",
                ["Kestrel:Endpoints:Grpc:Certificate:Password"] = "pw",
            }).Build();
            var trust = ForwardingTrust.From(new LiveServingOptions { ForwardingCaPath = "ca.crt" }, configuration,
                dir);
            Assert.True(trust.Accept(Owner, own, null, Chain | Name));
            Assert.True(trust.Accept(Owner, leaf, null, Chain));

            var e = Assert.Throws<InvalidOperationException>(() => ForwardingTrust.From(
                new LiveServingOptions { ForwardingCaPath = "missing.crt" }, configuration, dir));
            Assert.Contains("Platform:Live:ForwardingCaPath", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static X509Certificate2 SelfSigned(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    private static X509Certificate2 Authority()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=test-ca", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, critical: true));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    private static X509Certificate2 Issued(X509Certificate2 ca, string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Parse("10.0.0.7"));
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        byte[] serial = RandomNumberGenerator.GetBytes(8);
        serial[0] &= 0x7f; // a positive serial number
        return request.Create(ca, now.AddMinutes(-1), now.AddHours(12), serial);
    }
}
