using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Platform.Contracts.Training.V1;

namespace Platform.IntegrationTests;

/// <summary>
/// Both endpoints served over TLS with a certificate from Kestrel's settings
/// (Kestrel__Endpoints__{Grpc,Http}__Certificate__Path and __Password): gRPC over https and /health over https,
/// each trusted by the certificate the test made, and no cleartext answer beside them.
/// </summary>
public sealed class TlsTests
{
    [Fact]
    public async Task Grpc_and_health_answer_over_https_with_the_configured_certificate()
    {
        using var certificate = SelfSigned();
        string pfx = Path.Combine(Path.GetTempPath(), $"platform-tls-{Guid.NewGuid():N}.pfx");
        const string password = "test-only-passphrase";
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, password));
        try
        {
            HttpMessageHandler Trusting() => new SocketsHttpHandler
            {
                SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) =>
                    cert is not null && cert.GetCertHashString() == certificate.GetCertHashString() },
            };
            await using var host = await HostProcess.StartAsync("training,emulator", new Dictionary<string, string>
            {
                [HostProcess.GrpcCertificateKey] = pfx,
                ["Kestrel__Endpoints__Grpc__Certificate__Password"] = password,
                [HostProcess.HttpCertificateKey] = pfx,
                ["Kestrel__Endpoints__Http__Certificate__Password"] = password,
            }, handler: Trusting);
            Assert.StartsWith("https://", host.GrpcUrl);

            using var channel = host.Channel();
            var presets = await new TrainingCostService.TrainingCostServiceClient(channel)
                .ListModelPresetsAsync(new ListModelPresetsRequest());
            Assert.NotEmpty(presets.Presets);

            using var http = new HttpClient(Trusting());
            Assert.Equal("Healthy", await http.GetStringAsync($"{host.HttpUrl}/health/ready"));
            // A client that does not trust the certificate is refused by its own TLS check, so the certificate
            // served is the configured one; and cleartext gets no HTTP answer on the TLS port.
            using var untrusting = new HttpClient();
            await Assert.ThrowsAsync<HttpRequestException>(() =>
                untrusting.GetStringAsync($"{host.HttpUrl}/health/ready"));
            var cleartext = await Record.ExceptionAsync(async () =>
            {
                var r = await untrusting.GetAsync($"http://127.0.0.1:{host.HttpPort}/health/ready");
                Assert.NotEqual(HttpStatusCode.OK, r.StatusCode);
            });
            Assert.True(cleartext is null or HttpRequestException);
        }
        finally
        {
            File.Delete(pfx);
        }
    }

    /// <summary>A self-signed server certificate for 127.0.0.1 and localhost, valid for a day.</summary>
    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=platform-test", key, HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // server authentication
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }
}
