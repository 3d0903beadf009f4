using Xunit.Abstractions;

namespace Platform.IntegrationTests;

/// <summary>
/// A host process on a broker that goes away and comes back: a private RabbitMQ node of these tests (never the shared
/// one other tests use), stopped and started with rabbitmqctl stop_app / start_app. In the broker collection, so no
/// other broker test runs beside these heavy ones.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed partial class BrokerFaultTests(PrivateBroker broker, ITestOutputHelper output)
    : IClassFixture<PrivateBroker>;
