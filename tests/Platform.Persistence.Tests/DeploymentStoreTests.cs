using InferenceScheduler.Domain.Live;
using Microsoft.Extensions.Logging.Abstractions;

namespace Platform.Persistence.Tests;

/// <summary>Live deployments in the database: one name, one owner; a replica takes over only from the owner it saw
/// gone; heartbeats and removals touch the owner's rows only.</summary>
public sealed class DeploymentStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static StoredDeployment Row(string name, string owner, DateTimeOffset? at = null) => new(name, [1, 2, 3],
        [4, 5], $"http://{owner}:5280", owner, T0, at ?? T0);

    private static EfDeploymentStore Store(TestDatabase db) => new(db.Contexts, NullLogger<EfDeploymentStore>.Instance);

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void A_name_has_one_owner_and_every_replica_reads_it(string provider)
    {
        using var db = new TestDatabase(provider);
        var a = Store(db);
        var b = Store(db);
        Assert.Null(a.TryAdd(Row("llama", "a")));
        var taken = b.TryAdd(Row("llama", "b"));
        Assert.Equal("a", taken!.OwnerInstance);
        var read = b.Find("llama")!;
        Assert.Equal(("http://a:5280", T0), (read.OwnerAddress, read.HeartbeatAt));
        Assert.Equal([1, 2, 3], read.Spec);
        Assert.Equal([4, 5], read.Snapshot);
        Assert.Null(b.Find("other"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void A_take_over_succeeds_once_and_only_from_the_owner_seen_gone(string provider)
    {
        using var db = new TestDatabase(provider);
        var store = Store(db);
        store.TryAdd(Row("llama", "a"));
        Assert.False(store.TakeOver(Row("llama", "c"), previousOwnerInstance: "x"));
        Assert.True(store.TakeOver(Row("llama", "b"), previousOwnerInstance: "a"));
        Assert.False(store.TakeOver(Row("llama", "c"), previousOwnerInstance: "a"));
        Assert.Equal("b", store.Find("llama")!.OwnerInstance);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void Heartbeats_and_removals_touch_the_owners_rows_only(string provider)
    {
        using var db = new TestDatabase(provider);
        var store = Store(db);
        store.TryAdd(Row("a1", "a"));
        store.TryAdd(Row("a2", "a"));
        store.TryAdd(Row("b1", "b"));
        store.Heartbeat("a", T0.AddSeconds(30));
        var rows = store.List(10).ToDictionary(r => r.Name, r => r.HeartbeatAt);
        Assert.Equal([T0.AddSeconds(30), T0.AddSeconds(30), T0], [rows["a1"], rows["a2"], rows["b1"]]);
        Assert.False(store.Remove("b1", "a"));
        Assert.True(store.Remove("b1", "b"));
        Assert.True(store.Remove("a1", null));
        Assert.Equal(["a2"], store.List(10).Select(r => r.Name));
        Assert.Single(store.List(1));
    }
}
