namespace Platform.Web.Tests;

/// <summary>One host with every role (authentication off, the default) shared by the tests of a collection: the
/// page, the REST routes and the gRPC endpoint on real loopback ports.</summary>
public sealed class WebHostFixture : IAsyncLifetime
{
    private HostProcess? _host;

    public HostProcess Host => _host ?? throw new InvalidOperationException("the host did not start");

    public string HttpUrl => $"http://127.0.0.1:{Host.HttpPort}";

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync("all", new Dictionary<string, string>());
        Http.BaseAddress = new Uri(HttpUrl);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_host is not null) await _host.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class WebHostCollection : ICollectionFixture<WebHostFixture>
{
    public const string Name = "web host";
}
