using Platform.Contracts.Emulator.V1;
using Platform.Testing;

namespace HardwareEmulator.Tests.Grpc;

public sealed class DeviceRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private EmulatorService.EmulatorServiceClient Client => new(factory.Channel);

    [Fact]
    public async Task Catalog_holds_the_accelerators_users_compare()
    {
        var response = await Client.ListDevicesAsync(new ListDevicesRequest());
        var ids = response.Devices.Select(d => d.Id).ToHashSet();
        foreach (var id in new[] { "a100-80gb", "a800", "h100-sxm", "h100-pcie", "h800", "h20", "h200", "b200", "gb200",
                     "mi300x", "mi325x", "ascend-910b", "ascend-910c", "gaudi-3", "tpu-v5p" })
            Assert.Contains(id, ids);
        Assert.All(response.Devices, d =>
        {
            Assert.True(d.PeakTflops.Bf16 > 0 || d.PeakTflops.Fp16 > 0, d.Id);
            Assert.True(d.HbmGb > 0 && d.HbmTbps > 0 && d.ScaleUpGbps > 0 && d.TdpWatts > 0, d.Id);
        });
    }

    [Fact]
    public async Task H800_has_hopper_compute_with_cut_nvlink()
    {
        var h800 = (await Client.GetDeviceAsync(new GetDeviceRequest { Id = "H800" })).Device;
        var h100 = (await Client.GetDeviceAsync(new GetDeviceRequest { Id = "h100-sxm" })).Device;
        Assert.Equal(989.4, h800.PeakTflops.Bf16, 1);
        Assert.Equal(h100.PeakTflops.Fp8, h800.PeakTflops.Fp8, 1);
        Assert.True(h800.ScaleUpGbps < h100.ScaleUpGbps);
        Assert.Equal(80, h800.HbmGb);
    }

    [Fact]
    public async Task Vendor_filter_returns_only_that_vendor()
    {
        var response = await Client.ListDevicesAsync(new ListDevicesRequest { Vendor = "amd" });
        Assert.NotEmpty(response.Devices);
        Assert.All(response.Devices, d => Assert.Equal("AMD", d.Vendor));
    }

    [Fact]
    public async Task Unknown_device_is_not_found_naming_it()
    {
        var e = await GrpcAssert.FailsWith(StatusCode.NotFound, "id", () => Client.GetDeviceAsync(new GetDeviceRequest { Id = "h900" }).ResponseAsync);
        Assert.Contains("h900", e.Status.Detail);
    }

    [Fact]
    public async Task Empty_device_id_is_invalid()
    {
        await GrpcAssert.InvalidField("id", () => Client.GetDeviceAsync(new GetDeviceRequest()).ResponseAsync);
    }
}
