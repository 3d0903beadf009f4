using HardwareEmulator.Domain.Devices;
using Platform.Modeling.Errors;

namespace HardwareEmulator.Tests.Domain;

public sealed class DeviceCatalogTests
{
    private static DeviceSpec Custom(string id) =>
        new DeviceCatalog().Get("h800") with { Id = id, Name = id, BuiltIn = false };

    [Fact]
    public void The_total_cap_holds_across_owners_and_updates_do_not_count()
    {
        var catalog = new DeviceCatalog(new EmulatorOptions { MaxCustomDevices = 3, MaxCustomDevicesPerOwner = 2 });
        Assert.True(catalog.Register(Custom("a-1"), "10.0.0.1"));
        Assert.True(catalog.Register(Custom("a-2"), "10.0.0.1"));
        Assert.False(catalog.Register(Custom("a-2"), "10.0.0.1"));
        Assert.False(catalog.Register(Custom("a-1"), "10.0.0.2")); // an update, whoever sends it
        Assert.True(catalog.Register(Custom("b-1"), "10.0.0.2"));
        Assert.Equal(3, catalog.CustomCount);

        var total = Assert.Throws<LimitExceededException>(() => catalog.Register(Custom("c-1"), "10.0.0.3"));
        Assert.Contains("Emulator:MaxCustomDevices =", total.Reason);
        Assert.Equal(3, total.Available);
        Assert.False(catalog.TryGet("c-1", out _));
        Assert.Equal(3, catalog.CustomCount);
    }

    [Fact]
    public void The_owner_cap_holds_per_owner()
    {
        var catalog = new DeviceCatalog(new EmulatorOptions { MaxCustomDevices = 10, MaxCustomDevicesPerOwner = 1 });
        catalog.Register(Custom("a-1"), "10.0.0.1");
        var e = Assert.Throws<LimitExceededException>(() => catalog.Register(Custom("a-2"), "10.0.0.1"));
        Assert.Contains("MaxCustomDevicesPerOwner", e.Reason);
        Assert.True(catalog.Register(Custom("b-1"), "10.0.0.2"));
    }

    [Fact]
    public void Registration_under_load_never_passes_the_caps()
    {
        var catalog = new DeviceCatalog(new EmulatorOptions { MaxCustomDevices = 50, MaxCustomDevicesPerOwner = 50 });
        int refused = 0;
        Parallel.For(0, 500, i =>
        {
            try { catalog.Register(Custom($"d-{i}"), $"owner-{i % 7}"); }
            catch (LimitExceededException) { Interlocked.Increment(ref refused); }
        });
        Assert.Equal(50, catalog.CustomCount);
        Assert.Equal(450, refused);
    }

    [Fact]
    public void Built_in_ids_stay_built_in()
    {
        var catalog = new DeviceCatalog();
        Assert.Throws<PreconditionFailedException>(() => catalog.Register(Custom("h800"), "10.0.0.1"));
        Assert.Equal(0, catalog.CustomCount);
        Assert.True(catalog.Get("h800").BuiltIn);
    }

    [Fact]
    public void A_cursor_resumes_after_its_device_even_when_devices_were_added_before_it()
    {
        var catalog = new DeviceCatalog(new EmulatorOptions { MaxCustomDevicesPerOwner = 1000 });
        foreach (var id in new[] { "m-1", "m-3", "m-5" }) catalog.Register(Custom(id), "o");
        var builtIns = catalog.All.Count(d => d.BuiltIn);
        var first = catalog.List(null, builtIns + 1, null);
        Assert.Equal("m-1", first.Devices[^1].Id);
        catalog.Register(Custom("m-0"), "o"); // sorts before the cursor: not seen, nothing repeated
        catalog.Register(Custom("m-4"), "o");
        var rest = catalog.List(null, 10, first.Next);
        Assert.Equal(new[] { "m-3", "m-4", "m-5" }, rest.Devices.Select(d => d.Id));
        Assert.Null(rest.Next);
    }
}
