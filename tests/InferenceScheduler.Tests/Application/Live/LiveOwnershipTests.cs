using InferenceScheduler.Application.Live;
using InferenceScheduler.Domain.Live;

namespace InferenceScheduler.Tests.Application.Live;

/// <summary>Which address a process advertises for its deployments, and when another deployment's owner counts as
/// gone.</summary>
public sealed class LiveOwnershipTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static StoredDeployment Row(string address, string instance, TimeSpan age) => new("d", [], [], address,
        instance, DateTimeOffset.UtcNow - age, DateTimeOffset.UtcNow - age);

    [Fact]
    public void The_configured_address_wins_and_a_wildcard_listen_address_gets_the_host_name()
    {
        Assert.Equal("http://10.0.0.7:5080", LiveOwnership.Resolve(" http://10.0.0.7:5080/ ", "http://0.0.0.0:5080"));
        Assert.Equal("http://127.0.0.1:5280", LiveOwnership.Resolve(null, "http://127.0.0.1:5280"));
        string host = System.Net.Dns.GetHostName();
        foreach (var listen in new[] { "http://0.0.0.0:5080", "http://*:5080", "http://+:5080", "http://[::]:5080" })
            Assert.Equal($"http://{host}:5080", LiveOwnership.Resolve("", listen));
    }

    [Fact]
    public void An_owner_is_gone_when_its_heartbeat_is_older_than_the_timeout_or_it_was_a_previous_process_here()
    {
        var me = new LiveOwnership("http://10.0.0.1:5080", Timeout);
        Assert.False(me.IsGone(Row("http://10.0.0.2:5080", "other", TimeSpan.FromSeconds(5))));
        Assert.True(me.IsGone(Row("http://10.0.0.2:5080", "other", TimeSpan.FromSeconds(25))));
        // A process that had this address before this one started.
        Assert.True(me.IsGone(Row("http://10.0.0.1:5080", "previous", TimeSpan.FromSeconds(1))));
        Assert.False(me.IsGone(Row(me.Address, me.Instance, TimeSpan.FromHours(1))));
    }

    [Fact]
    public void The_message_for_an_unreachable_owner_names_it_and_says_what_to_do()
    {
        var row = Row("http://10.0.0.2:5080", "other", TimeSpan.FromMinutes(1));
        var gone = LiveOwnership.Unreachable("deployment", new DeploymentLocation("d", null, row, OwnerGone: true));
        Assert.Equal("deployment", gone.Field);
        Assert.Contains("http://10.0.0.2:5080", gone.Message);
        Assert.Contains("is gone", gone.Message);
        var silent = LiveOwnership.Unreachable("name", new DeploymentLocation("d", null, row, OwnerGone: false));
        Assert.Contains("does not answer", silent.Message);
    }
}
