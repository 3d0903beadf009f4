using HardwareEmulator;
using HardwareEmulator.Domain.Devices;
using Platform.Modeling.Devices;
using Platform.Modeling.Errors;

namespace Platform.Persistence.Tests;

/// <summary>The device catalog on the database: a new catalog on the same database is a restart or a replica.</summary>
public sealed class DeviceStoreTests
{
    private static DeviceSpec Custom(string id, double bf16 = 500) => new()
    {
        Id = id, Name = "What-if " + id, Vendor = "Custom", Bf16 = bf16, Fp32 = 50, HbmGb = 96, HbmTbps = 3,
        ScaleUpGBps = 300, ScaleOutGBps = 50, ComputeUnits = 100, L2Mb = 40, TdpW = 600,
    };

    private static DeviceCatalog Catalog(TestDatabase db, int perOwner = 10, int total = 100)
    {
        var c = new DeviceCatalog(new EmulatorOptions { MaxCustomDevicesPerOwner = perOwner, MaxCustomDevices = total },
            db.Devices());
        c.LoadStored(CancellationToken.None);
        return c;
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void A_registered_device_survives_a_restart_with_its_figures(string provider)
    {
        using var db = new TestDatabase(provider);
        Assert.True(Catalog(db).Register(Custom(" My-Dev "), "10.0.0.1"));

        var after = Catalog(db);
        var d = after.Get("my-dev");
        Assert.Equal(Custom(" My-Dev ") with { Id = "my-dev", BuiltIn = false }, d);
        Assert.False(d.BuiltIn);
        Assert.Equal(1, after.CustomCount);
        Assert.True(after.Get("h800").BuiltIn); // the built-in catalog is still there, read-only
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void Quotas_are_counted_from_the_database_across_restarts(string provider)
    {
        using var db = new TestDatabase(provider);
        var before = Catalog(db, perOwner: 2, total: 3);
        before.Register(Custom("a"), "alice");
        before.Register(Custom("b"), "alice");

        var after = Catalog(db, perOwner: 2, total: 3);
        var e = Assert.Throws<LimitExceededException>(() => after.Register(Custom("c"), "alice"));
        Assert.Contains("MaxCustomDevicesPerOwner = 2", e.Reason);
        // Replacing one of alice's ids counts against nobody, whoever replaces it; the owner stays alice.
        Assert.False(after.Register(Custom("a", bf16: 900), "bob"));
        Assert.Equal(900, Catalog(db).Get("a").Bf16);
        Assert.True(after.Register(Custom("c"), "bob"));
        var total = Assert.Throws<LimitExceededException>(() => Catalog(db, perOwner: 2, total: 3)
            .Register(Custom("d"), "carol"));
        Assert.Contains("MaxCustomDevices = 3", total.Reason);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void A_replica_reloads_a_device_another_replica_registered(string provider)
    {
        using var db = new TestDatabase(provider);
        var one = Catalog(db);
        var two = Catalog(db);
        one.Register(Custom("shared"), "alice");
        Assert.False(two.TryGet("shared", out _));
        Assert.True(two.Reload("SHARED"));
        Assert.Equal(500, two.Get("shared").Bf16);
        Assert.False(two.Reload("never-registered"));
        // Its owner's count came along: the per-owner cap holds on this replica too.
        var capped = Catalog(db, perOwner: 1);
        Assert.Throws<LimitExceededException>(() => capped.Register(Custom("more"), "alice"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public void Built_in_ids_are_refused_and_never_stored(string provider)
    {
        using var db = new TestDatabase(provider);
        var catalog = Catalog(db);
        Assert.Throws<PreconditionFailedException>(() => catalog.Register(Custom("h800"), "alice"));
        Assert.Empty(db.Devices().LoadAll(CancellationToken.None));
    }
}
