using Platform.Contracts.Emulator.V1;
using Platform.Testing;

namespace HardwareEmulator.Tests.Grpc;

/// <summary>The platform with custom-device caps small enough to reach in a test.</summary>
public sealed class DeviceQuotaFactory : PlatformFactory
{
    public const int PerOwner = 140;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Emulator:MaxCustomDevices"] = "1000",
        ["Emulator:MaxCustomDevicesPerOwner"] = PerOwner.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

// One class: the tests share the factory's catalog and run in order of a story (fill, page, cap).
public sealed class DeviceQuotaRpcTests(DeviceQuotaFactory factory) : IClassFixture<DeviceQuotaFactory>
{
    private EmulatorService.EmulatorServiceClient Client => new(factory.Channel);

    private static Device Custom(string id) => new()
    {
        Id = id, Name = "What-if", Vendor = "Custom",
        PeakTflops = new DtypePeaks { Bf16 = 1000 }, HbmGb = 80, HbmTbps = 3, ScaleUpGbps = 200, ScaleOutGbps = 50,
        ComputeUnits = 132,
    };

    [Fact]
    public async Task Pages_cover_the_catalog_once_in_a_stable_order_and_the_caller_cap_holds()
    {
        // 130 custom ids, registered out of order.
        foreach (int i in Enumerable.Range(0, 130).Reverse())
            await Client.RegisterDeviceAsync(new RegisterDeviceRequest { Device = Custom($"what-if-{i:D3}") });

        var all = new List<Device>();
        var pages = 0;
        string token = "";
        do
        {
            var page = await Client.ListDevicesAsync(new ListDevicesRequest { PageSize = 50, PageToken = token });
            Assert.True(page.Devices.Count <= 50);
            all.AddRange(page.Devices);
            token = page.NextPageToken;
            pages++;
        } while (token != "");
        Assert.Equal(all.Count, all.Select(d => d.Id).Distinct().Count());
        Assert.Equal(Math.Ceiling(all.Count / 50.0), pages);
        var builtIn = all.TakeWhile(d => d.BuiltIn).Select(d => d.Id).ToList();
        var custom = all.SkipWhile(d => d.BuiltIn).ToList();
        Assert.Contains("h800", builtIn);
        Assert.All(custom, d => Assert.False(d.BuiltIn));
        Assert.Equal(builtIn.Order(StringComparer.Ordinal), builtIn);
        Assert.Equal(custom.Select(d => d.Id).Order(StringComparer.Ordinal), custom.Select(d => d.Id));
        Assert.Equal(130, custom.Count(d => d.Id.StartsWith("what-if-", StringComparison.Ordinal)));

        // Page size 0 is the default of 100; sizes above 1,000 are treated as 1,000.
        var first = await Client.ListDevicesAsync(new ListDevicesRequest());
        Assert.Equal(100, first.Devices.Count);
        Assert.NotEmpty(first.NextPageToken);
        var whole = await Client.ListDevicesAsync(new ListDevicesRequest { PageSize = 1_000_000 });
        Assert.Equal(all.Select(d => d.Id), whole.Devices.Select(d => d.Id));
        Assert.Empty(whole.NextPageToken);

        // Re-registering an id the caller holds is an update: it never counts twice.
        for (int i = 0; i < 3; i++)
            await Client.RegisterDeviceAsync(new RegisterDeviceRequest { Device = Custom("what-if-000") });
        // The caller holds 130 of its 140; ten more are accepted, the next is refused naming the limit.
        for (int i = 0; i < DeviceQuotaFactory.PerOwner - 130; i++)
            await Client.RegisterDeviceAsync(new RegisterDeviceRequest { Device = Custom($"extra-{i}") });
        var e = await GrpcAssert.FailsWith(StatusCode.ResourceExhausted, "device", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = Custom("one-too-many") }).ResponseAsync);
        Assert.Contains("MaxCustomDevicesPerOwner", e.Status.Detail);
        await Assert.ThrowsAsync<RpcException>(() =>
            Client.GetDeviceAsync(new GetDeviceRequest { Id = "one-too-many" }).ResponseAsync);
        // Updates still go through at the cap.
        var updated = Custom("extra-0");
        updated.HbmGb = 141;
        Assert.Equal(141, (await Client.RegisterDeviceAsync(new RegisterDeviceRequest { Device = updated }))
            .Device.HbmGb);
    }

    [Fact]
    public async Task A_vendor_filter_pages_within_that_vendor()
    {
        var page = await Client.ListDevicesAsync(new ListDevicesRequest { Vendor = "nvidia", PageSize = 2 });
        Assert.Equal(2, page.Devices.Count);
        var next = await Client.ListDevicesAsync(
            new ListDevicesRequest { Vendor = "nvidia", PageSize = 2, PageToken = page.NextPageToken });
        Assert.All(page.Devices.Concat(next.Devices), d => Assert.Equal("NVIDIA", d.Vendor));
        Assert.True(string.CompareOrdinal(page.Devices[1].Id, next.Devices[0].Id) < 0);
    }

    [Fact]
    public async Task Bad_paging_fields_are_invalid_naming_them()
    {
        await GrpcAssert.InvalidField("page_token", () => Client.ListDevicesAsync(
            new ListDevicesRequest { PageToken = "not-a-token" }).ResponseAsync);
        await GrpcAssert.InvalidField("page_token", () => Client.ListDevicesAsync(
            new ListDevicesRequest { PageToken = Convert.ToBase64String("d1:x:h800"u8.ToArray()) }).ResponseAsync);
        await GrpcAssert.InvalidField("page_token", () => Client.ListDevicesAsync(
            new ListDevicesRequest { PageToken = new string('A', 10_000) }).ResponseAsync);
        await GrpcAssert.InvalidField("page_size", () => Client.ListDevicesAsync(
            new ListDevicesRequest { PageSize = -1 }).ResponseAsync);
    }

    [Fact]
    public async Task Oversized_device_fields_are_invalid_naming_them()
    {
        var longName = Custom("long-name");
        longName.Name = new string('n', 10_000);
        var e = await GrpcAssert.InvalidField("device.name", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = longName }).ResponseAsync);
        Assert.True(e.Status.Detail.Length < 300, e.Status.Detail);
        var longNotes = Custom("long-notes");
        longNotes.Notes = new string('n', 100_000);
        await GrpcAssert.InvalidField("device.notes", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = longNotes }).ResponseAsync);
        var huge = Custom("huge-hbm");
        huge.HbmGb = 1e300;
        await GrpcAssert.InvalidField("device.hbm_gb", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = huge }).ResponseAsync);
        var units = Custom("many-units");
        units.ComputeUnits = int.MaxValue;
        await GrpcAssert.InvalidField("device.compute_units", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = units }).ResponseAsync);
        var longId = Custom(new string('a', 65));
        await GrpcAssert.InvalidField("device.id", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = longId }).ResponseAsync);
    }
}

public sealed class DevicePageSizeTests
{
    [Fact]
    public void A_full_page_of_the_largest_devices_fits_a_default_client_receive_limit()
    {
        // Three UTF-8 bytes per character is the most a length limit in bytes can let through per byte.
        string Text(int bytes) => new('€', bytes / 3);
        var device = new Device
        {
            Id = new string('x', 64), Name = Text(HardwareEmulator.Mapping.Validation.DeviceValidator.MaxNameLength),
            Vendor = Text(HardwareEmulator.Mapping.Validation.DeviceValidator.MaxNameLength),
            Source = Text(HardwareEmulator.Mapping.Validation.DeviceValidator.MaxTextLength),
            Notes = Text(HardwareEmulator.Mapping.Validation.DeviceValidator.MaxTextLength),
            Year = 2100, PeakTflops = new DtypePeaks
            {
                Fp64 = 1.1, Tf32 = 1.1, Bf16 = 1.1, Fp16 = 1.1, Fp8 = 1.1,
                Int8 = 1.1, Fp32 = 1.1
            },
            HbmGb = 1.1, HbmTbps = 1.1, ScaleUpGbps = 1.1, ScaleOutGbps = 1.1, TdpWatts = 1.1, ComputeUnits = 1_000_000,
            L2Mb = 1.1, ScaleUpLatencyUs = 1.1, ScaleOutLatencyUs = 1.1, ScaleUpDomain = 1_000_000, PriceLowUsd = 1.1,
            PriceMidUsd = 1.1, PriceListUsd = 1.1, MatmulEfficiencyBf16 = 0.5, MatmulEfficiencyFp8 = 0.5,
            MemoryEfficiency = 0.5, L2Tbps = 1.1, ScaleUpEfficiency = 0.5, ScaleOutEfficiency = 0.5,
        };
        Assert.True(new HardwareEmulator.Mapping.Validation.DeviceValidator().Validate(device).IsValid);
        var page = new ListDevicesResponse { NextPageToken = new string('A', 128) };
        for (int i = 0; i < HardwareEmulator.Mapping.DevicePageToken.MaxPageSize; i++) page.Devices.Add(device);
        Assert.InRange(page.CalculateSize(), 0, 4 * 1024 * 1024);
    }
}
