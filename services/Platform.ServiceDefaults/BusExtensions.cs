using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Modeling.Errors;
using Platform.ServiceDefaults.Telemetry;

namespace Platform.ServiceDefaults;

/// <summary>RabbitMQ connection settings (section "RabbitMq"). Without Host the in-memory transport is used.</summary>
public sealed class RabbitMqOptions
{
    /// <summary>Host name, or a full amqp:// URI with credentials and virtual host.</summary>
    public string? Host { get; set; }
    public ushort Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";
    public string Username { get; set; } = "guest";
    public string Password { get; set; } = "guest";

    /// <summary>
    /// TLS to the broker (AMQPS; set Port to the broker's TLS port, usually 5671). An amqps:// Host turns it on too.
    /// The broker's certificate must be trusted by the system's store (or SSL_CERT_FILE/SSL_CERT_DIR).
    /// </summary>
    public bool UseSsl { get; set; }

    /// <summary>The name the broker's certificate must carry; default: the host name.</summary>
    public string? SslServerName { get; set; }

    /// <summary>A client certificate (PKCS#12 file) for brokers that authenticate clients by certificate.</summary>
    public string? SslCertificatePath { get; set; }

    /// <summary>The client certificate's passphrase (from a secret, never committed).</summary>
    public string? SslCertificatePassphrase { get; set; }

    /// <summary>Applies the TLS settings to a host: on with <see cref="UseSsl"/> or an amqps:// URI.</summary>
    public void ConfigureSsl(IRabbitMqHostConfigurator h, string hostName)
    {
        bool amqps = Host?.StartsWith("amqps://", StringComparison.OrdinalIgnoreCase) == true;
        if (!UseSsl && !amqps) return;
        h.UseSsl(s =>
        {
            s.Protocol = System.Security.Authentication.SslProtocols.Tls12
                         | System.Security.Authentication.SslProtocols.Tls13;
            s.ServerName = string.IsNullOrWhiteSpace(SslServerName) ? hostName : SslServerName;
            if (!string.IsNullOrWhiteSpace(SslCertificatePath))
            {
                s.CertificatePath = SslCertificatePath;
                s.CertificatePassphrase = SslCertificatePassphrase;
            }
        });
    }
}

/// <summary>Collects bus registrations from every module, then configures MassTransit once.</summary>
public static class BusExtensions
{
    private sealed class BusRegistrations
    {
        public List<Action<IBusRegistrationConfigurator>> Actions { get; } = [];

        /// <summary>Endpoints of long work messages: their name (from the formatter) and concurrency.</summary>
        public List<(Func<IEndpointNameFormatter, string> Name, int Concurrency)> Work { get; } = [];
    }

    /// <summary>A module adds its consumers, request clients or sagas here.</summary>
    public static IServiceCollection AddBusRegistration(this IServiceCollection services,
        Action<IBusRegistrationConfigurator> configure)
    {
        var regs = services.FirstOrDefault(d => d.ServiceType == typeof(BusRegistrations))?.ImplementationInstance
            as BusRegistrations;
        if (regs is null)
        {
            regs = new BusRegistrations();
            services.AddSingleton(regs);
        }
        regs.Actions.Add(configure);
        return services;
    }

    /// <summary>
    /// A consumer of long work messages (seconds to minutes each) shared by every instance: it runs at most
    /// <paramref name="concurrency"/> at a time and RabbitMQ hands it no more than that ahead of its
    /// acknowledgements (prefetch = concurrency), so an idle instance takes what a busy one has not started. Each
    /// message is acknowledged when its work has finished: an instance that dies mid-work has it redelivered.
    /// </summary>
    public static IServiceCollection AddWorkConsumer<TConsumer>(this IServiceCollection services, int concurrency)
        where TConsumer : class, IConsumer
    {
        services.AddBusRegistration(x => x.AddConsumer<TConsumer>());
        var regs = (BusRegistrations)services.First(d => d.ServiceType == typeof(BusRegistrations))
            .ImplementationInstance!;
        regs.Work.Add((f => f.Consumer<TConsumer>(), concurrency));
        return services;
    }

    /// <summary>Unique per process: names the temporary queues of broadcast (every-instance) consumers.</summary>
    public static string InstanceId { get; } = $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..16];

    /// <summary>
    /// A consumer every instance runs (events that refresh local state, not work to share): each process gets
    /// its own temporary queue instead of competing on one.
    /// </summary>
    public static IServiceCollection AddBroadcastConsumer<TConsumer>(this IServiceCollection services)
        where TConsumer : class, IConsumer =>
        services.AddBusRegistration(x => x.AddConsumer<TConsumer>()
            .Endpoint(e => { e.Temporary = true; e.InstanceId = InstanceId; }));

    /// <summary>True when the configuration names a RabbitMQ host.</summary>
    public static bool UsesRabbitMq(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["RabbitMq:Host"]);

    /// <summary>Configures MassTransit: RabbitMQ when RabbitMq:Host is set, else the in-memory transport.</summary>
    public static IHostApplicationBuilder AddPlatformBus(this IHostApplicationBuilder builder)
    {
        var regs = builder.Services.FirstOrDefault(d => d.ServiceType == typeof(BusRegistrations))
            ?.ImplementationInstance as BusRegistrations;
        var rabbit = builder.Configuration.GetSection("RabbitMq").Get<RabbitMqOptions>() ?? new RabbitMqOptions();
        string prefix = builder.Configuration["Platform:QueuePrefix"] ?? "";
        // Ephemeral environments (tests, previews) let RabbitMQ delete their consumer queues when the process goes,
        // so nothing keeps collecting copies of published messages afterwards.
        bool autoDelete = builder.Configuration.GetValue<bool>("Platform:AutoDeleteQueues");
        // Start-up completes only once the bus is connected and its endpoints are bound, so a request sent
        // right after start-up cannot be published before the consumer's queue exists.
        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(15);
        });
        var delivery = builder.Configuration.GetSection(BusDeliveryOptions.Section).Get<BusDeliveryOptions>()
                       ?? new BusDeliveryOptions();
        builder.Services.AddOptions<BusDeliveryOptions>().BindConfiguration(BusDeliveryOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.PublishTimeout > TimeSpan.Zero && o.RetryMinInterval >= TimeSpan.Zero
                           && o.RetryMaxInterval >= o.RetryMinInterval && o.RetryIntervalDelta >= TimeSpan.Zero,
                $"{BusDeliveryOptions.Section}: PublishTimeout must be positive and RetryMinInterval <= "
                + "RetryMaxInterval")
            .ValidateOnStart();
        builder.Services.AddScoped<BusPublisher>();
        builder.Services.AddHealthChecks().AddCheck<BusReadinessCheck>(BusReadinessCheck.Name,
            tags: [ServiceDefaultsExtensions.ReadyTag]);
        var formatter = new KebabCaseEndpointNameFormatter(prefix, false);
        var work = (regs?.Work ?? []).ToDictionary(w => w.Name(formatter), w => w.Concurrency);
        builder.Services.AddMassTransit(x =>
        {
            x.SetEndpointNameFormatter(formatter);
            // MassTransit's usage telemetry reports to an outside host: never from this platform.
            x.DisableUsageTelemetry();
            // MassTransit's check stays (tag "masstransit", its endpoint details) but readiness asks
            // BusReadinessCheck, which does not answer a bus that lost its broker as Degraded (still serving).
            x.ConfigureHealthCheckOptions(o => o.Tags.Add("masstransit"));
            x.AddConfigureEndpointsCallback((_, name, cfg) =>
            {
                ConfigureDelivery(cfg, delivery);
                ErrorQueueMetricsFilter.Configure(cfg);
                if (work.TryGetValue(name, out int concurrency))
                {
                    cfg.ConcurrentMessageLimit = concurrency;
                    if (cfg is IRabbitMqReceiveEndpointConfigurator w) w.PrefetchCount = concurrency;
                }
                if (autoDelete && cfg is IRabbitMqReceiveEndpointConfigurator r) r.AutoDelete = true;
            });
            foreach (var a in regs?.Actions ?? []) a(x);
            if (!string.IsNullOrWhiteSpace(rabbit.Host))
            {
                x.UsingRabbitMq((ctx, cfg) =>
                {
                    if (rabbit.Host.StartsWith("amqp", StringComparison.OrdinalIgnoreCase))
                    {
                        var uri = new Uri(rabbit.Host);
                        cfg.Host(uri, h => rabbit.ConfigureSsl(h, uri.Host));
                    }
                    else
                        cfg.Host(rabbit.Host, rabbit.Port, rabbit.VirtualHost, h =>
                        {
                            h.Username(rabbit.Username);
                            h.Password(rabbit.Password);
                            rabbit.ConfigureSsl(h, rabbit.Host);
                        });
                    cfg.ConnectConsumeObserver(new ConsumeMetricsObserver());
                    cfg.ConfigureEndpoints(ctx);
                });
            }
            else
            {
                x.UsingInMemory((ctx, cfg) =>
                {
                    cfg.ConnectConsumeObserver(new ConsumeMetricsObserver());
                    cfg.ConfigureEndpoints(ctx);
                });
            }
        });
        return builder;
    }

    /// <summary>
    /// Bounded delivery (prefetch, concurrent messages) and retries of transient failures at exponential intervals.
    /// Bad input is not retried: it fails the same way every time (consumers turn it into a failed job or a
    /// rejection, and a message that cannot be read goes to the _error queue with the reason at once). After the
    /// last retry MassTransit moves the message to its queue's _error queue, with the exception in its headers.
    /// </summary>
    private static void ConfigureDelivery(IReceiveEndpointConfigurator cfg, BusDeliveryOptions o)
    {
        cfg.ConcurrentMessageLimit = o.ConcurrentMessageLimit;
        if (cfg is IRabbitMqReceiveEndpointConfigurator r) r.PrefetchCount = o.PrefetchCount;
        if (o.RetryCount == 0) return;
        cfg.UseMessageRetry(retry =>
        {
            retry.Exponential(o.RetryCount, o.RetryMinInterval, o.RetryMaxInterval, o.RetryIntervalDelta);
            retry.Ignore<PlatformException>(e => e is not DependencyUnavailableException);
            retry.Ignore<System.Runtime.Serialization.SerializationException>();
            retry.Ignore<System.Text.Json.JsonException>();
            retry.Ignore<Google.Protobuf.InvalidProtocolBufferException>();
            retry.Ignore<Google.Protobuf.InvalidJsonException>();
        });
    }
}
