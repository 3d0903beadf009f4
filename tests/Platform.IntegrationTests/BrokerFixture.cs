using Testcontainers.RabbitMq;

namespace Platform.IntegrationTests;

/// <summary>
/// A RabbitMQ broker for the tests: RABBITMQ_URL when set (make test / .ci/run start a local
/// rabbitmq-server and set it), else a Testcontainers container when Docker answers. Without
/// either the tests fail with the reason — they never skip silently.
/// </summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private RabbitMqContainer? _container;

    /// <summary>amqp:// URI of the broker.</summary>
    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        string? url = Environment.GetEnvironmentVariable("RABBITMQ_URL");
        if (!string.IsNullOrWhiteSpace(url))
        {
            Url = url;
            return;
        }
        if (Environment.GetEnvironmentVariable("PLATFORM_TEST_BROKER") == "testcontainers"
            || File.Exists("/var/run/docker.sock"))
        {
            _container = new RabbitMqBuilder("rabbitmq:3.13-alpine").Build();
            await _container.StartAsync();
            Url = _container.GetConnectionString();
            return;
        }
        throw new InvalidOperationException(
            "No RabbitMQ broker: set RABBITMQ_URL (make test starts Debian's rabbitmq-server and sets it) "
            + "or run a Docker daemon.");
    }

    public async Task DisposeAsync()
    {
        if (_container is not null) await _container.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "broker";
}
