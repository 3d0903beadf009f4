using System.Reflection;
using System.Security.Authentication;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Platform.ServiceDefaults;

namespace Platform.ServiceDefaults.Tests;

/// <summary>The RabbitMq:UseSsl settings reach MassTransit's host configuration.</summary>
public sealed class RabbitMqTlsTests
{
    /// <summary>Records the calls made on an interface (the host and its TLS configurators).</summary>
    public class Recorder : DispatchProxy
    {
        public Dictionary<string, object?> Calls { get; } = [];

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            Calls[targetMethod!.Name] = args is { Length: 1 } ? args[0] : args;
            if (targetMethod.Name == nameof(IRabbitMqHostConfigurator.UseSsl)
                && args?[0] is Action<IRabbitMqSslConfigurator> configure)
            {
                var ssl = Create<IRabbitMqSslConfigurator, Recorder>();
                configure(ssl);
                Calls["ssl"] = ((Recorder)(object)ssl).Calls;
            }
            return null;
        }
    }

    private static RabbitMqOptions Options(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(
                settings.Select(s => new KeyValuePair<string, string?>("RabbitMq:" + s.Key, s.Value)))
            .Build().GetSection("RabbitMq").Get<RabbitMqOptions>()!;

    private static Dictionary<string, object?> Configure(RabbitMqOptions options, string host)
    {
        var h = DispatchProxy.Create<IRabbitMqHostConfigurator, Recorder>();
        options.ConfigureSsl(h, host);
        return ((Recorder)(object)h).Calls;
    }

    [Fact]
    public void UseSsl_turns_on_tls_with_the_server_name_and_client_certificate()
    {
        var calls = Configure(Options(("Host", "rabbit.internal"), ("Port", "5671"), ("UseSsl", "true"),
            ("SslCertificatePath", "/run/secrets/client.p12"), ("SslCertificatePassphrase", "from-a-secret")),
            "rabbit.internal");
        var ssl = Assert.IsType<Dictionary<string, object?>>(calls["ssl"]);
        Assert.Equal("rabbit.internal", ssl["set_ServerName"]);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, ssl["set_Protocol"]);
        Assert.Equal("/run/secrets/client.p12", ssl["set_CertificatePath"]);
        Assert.Equal("from-a-secret", ssl["set_CertificatePassphrase"]);
    }

    [Fact]
    public void An_amqps_uri_turns_on_tls_and_SslServerName_overrides_the_name()
    {
        var calls = Configure(Options(("Host", "amqps://user:pw@10.0.0.5:5671/"), ("SslServerName", "rabbit.example")),
            "10.0.0.5");
        var ssl = Assert.IsType<Dictionary<string, object?>>(calls["ssl"]);
        Assert.Equal("rabbit.example", ssl["set_ServerName"]);
        Assert.False(ssl.ContainsKey("set_CertificatePath"));
    }

    [Fact]
    public void Without_the_settings_the_connection_stays_cleartext()
    {
        Assert.Empty(Configure(Options(("Host", "rabbitmq")), "rabbitmq"));
        Assert.Empty(Configure(Options(("Host", "amqp://guest:guest@localhost:5672/")), "localhost"));
    }
}
