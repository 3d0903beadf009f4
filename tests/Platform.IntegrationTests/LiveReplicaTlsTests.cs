using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Net.Client;
using Platform.Contracts.Inference.V1;

namespace Platform.IntegrationTests;

/// <summary>
/// Replicas serving gRPC over TLS, each with its own certificate from one private CA the system does not trust:
/// the replica given the CA (Platform:Live:ForwardingCaPath) forwards to the owner; the one without it refuses the
/// owner's certificate and answers FAILED_PRECONDITION (HTTP 503) naming the setting, not an obscure failure.
/// </summary>
public sealed class LiveReplicaTlsTests
{
    private const string Password = "test-only-passphrase";

    [Fact]
    public async Task Forwarding_over_https_trusts_the_configured_ca_and_refuses_cleanly_without_it()
    {
        string dir = Directory.CreateTempSubdirectory("platform-live-tls-").FullName;
        try
        {
            using var caKey = RSA.Create(2048);
            using var ca = Authority(caKey);
            string caPem = Path.Combine(dir, "ca.crt");
            await File.WriteAllTextAsync(caPem, ca.ExportCertificatePem());
            string pfxA = await Leaf(ca, "replica-a", dir);
            string pfxB = await Leaf(ca, "replica-b", dir);
            HttpMessageHandler Trusting() => new SocketsHttpHandler
            {
                SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => ChainsTo(ca, c) },
            };

            await using var db = await SharedDatabase.CreateAsync();
            Dictionary<string, string> Settings(string pfx, string? caPath)
            {
                var s = new Dictionary<string, string>
                {
                    ["Platform__Database__Provider"] = db.Provider, ["ConnectionStrings__Platform"] = db.Connection,
                    [HostProcess.GrpcCertificateKey] = pfx,
                    ["Kestrel__Endpoints__Grpc__Certificate__Password"] = Password,
                };
                if (caPath is not null) s["Platform__Live__ForwardingCaPath"] = caPath;
                return s;
            }
            await using var a = await HostProcess.StartAsync("inference,emulator", Settings(pfxA, null),
                handler: Trusting);
            await using var trusting = await HostProcess.StartAsync("inference,emulator", Settings(pfxB, caPem),
                handler: Trusting);
            await using var refusing = await HostProcess.StartAsync("inference,emulator", Settings(pfxB, null),
                handler: Trusting);
            using var channelA = a.Channel();
            await new InferenceSchedulerService.InferenceSchedulerServiceClient(channelA).CreateDeploymentAsync(
                Google.Protobuf.JsonParser.Default.Parse<CreateDeploymentRequest>("""
                    {"name":"tls-llama","model":{"preset":"llama-3.1-8b"},
                     "deployment":{"accelerator":"h100-sxm","replicas":1,"tensorParallel":1},"timeScale":0.1}
                    """));

            using (var channel = trusting.Channel())
                Assert.Equal(4, await Generate(new(channel)));

            using (var channel = refusing.Channel())
            {
                var e = await Assert.ThrowsAsync<RpcException>(() => Generate(new(channel)));
                Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
                Assert.Contains("Platform:Live:ForwardingCaPath", e.Status.Detail);
                Assert.Contains(a.GrpcUrl, e.Status.Detail);
            }
            using var http = new HttpClient { BaseAddress = new Uri(refusing.HttpUrl) };
            using var r = await http.PostAsync("/v1/completions", new StringContent(
                """{"model":"tls-llama","prompt":"Over TLS","max_tokens":4}""", Encoding.UTF8, "application/json"));
            string body = await r.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
            Assert.Contains("Platform:Live:ForwardingCaPath", body);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<int> Generate(InferenceSchedulerService.InferenceSchedulerServiceClient client)
    {
        var request = new GenerateRequest { Deployment = "tls-llama", Prompt = "TLS", MaxTokens = 4 };
        using var call = client.Generate(request, deadline: DateTime.UtcNow.AddSeconds(60));
        int tokens = 0;
        await foreach (var m in call.ResponseStream.ReadAllAsync()) tokens += m.Tokens?.Count ?? 0;
        return tokens;
    }

    /// <summary>A private CA for the test, valid for a day.</summary>
    private static X509Certificate2 Authority(RSA key)
    {
        var request = new CertificateRequest("CN=platform-test-ca", key, HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    /// <summary>A server certificate for 127.0.0.1 and localhost issued by <paramref name="ca"/>, written as a
    /// PKCS#12 file with its key.</summary>
    private static async Task<string> Leaf(X509Certificate2 ca, string name, string dir)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // server authentication
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(ca, now.AddMinutes(-5), now.AddHours(12), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        string path = Path.Combine(dir, $"{name}.pfx");
        await File.WriteAllBytesAsync(path, withKey.Export(X509ContentType.Pfx, Password));
        return path;
    }

    /// <summary>The test client's own check: the server's certificate chains to the test CA.</summary>
    private static bool ChainsTo(X509Certificate2 ca, X509Certificate? certificate)
    {
        if (certificate is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(presented);
    }
}
