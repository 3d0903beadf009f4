using Microsoft.Extensions.Configuration;

namespace Platform.ServiceDefaults.Tests;

public sealed class RoleClientsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] pairs) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(pairs.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)))
            .Build();

    [Fact]
    public void Explicit_role_endpoint_wins()
    {
        var c = Config(("Platform:Endpoints:Emulator", "http://emulator:5080"),
            ("Kestrel:Endpoints:Grpc:Url", "http://127.0.0.1:5080"));
        Assert.Equal("http://emulator:5080", RoleClients.ResolveAddress(c, "Emulator"));
    }

    [Theory]
    [InlineData("http://0.0.0.0:7000", "http://127.0.0.1:7000")]
    [InlineData("http://+:7000", "http://127.0.0.1:7000")]
    [InlineData("http://*:7000", "http://127.0.0.1:7000")]
    [InlineData("http://127.0.0.1:7000", "http://127.0.0.1:7000")]
    public void Without_an_endpoint_the_role_is_called_on_this_process_over_loopback(string bind, string expected)
    {
        Assert.Equal(expected, RoleClients.ResolveAddress(Config(("Kestrel:Endpoints:Grpc:Url", bind)), "Emulator"));
    }

    [Fact]
    public void Default_is_the_default_grpc_port() =>
        Assert.Equal("http://127.0.0.1:5080", RoleClients.ResolveAddress(Config(), "Emulator"));
}
