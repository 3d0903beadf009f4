using Platform.Contracts.Common.V1;
using Platform.Contracts.Emulator.V1;
using Platform.Testing;

namespace HardwareEmulator.Tests.Grpc;

public sealed class DeviceRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private EmulatorService.EmulatorServiceClient Client => new(factory.Channel);

    [Fact]
    public async Task A_huge_unknown_id_is_quoted_short_and_the_connection_stays_usable()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            Client.GetDeviceAsync(new GetDeviceRequest { Id = new string('h', 20_000) }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        // The id is quoted short; the closest known ids (at most ten) follow it.
        Assert.True(e.Status.Detail.Length < 400, $"{e.Status.Detail.Length} characters");
        Assert.DoesNotContain(new string('h', 200), e.Status.Detail);
        Assert.Equal("h800", (await Client.GetDeviceAsync(new GetDeviceRequest { Id = "h800" })).Device.Id);
    }

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
        var e = await GrpcAssert.FailsWith(StatusCode.NotFound, "id",
            () => Client.GetDeviceAsync(new GetDeviceRequest { Id = "h900" }).ResponseAsync);
        Assert.Contains("h900", e.Status.Detail);
    }

    [Fact]
    public async Task Empty_device_id_is_invalid()
    {
        await GrpcAssert.InvalidField("id", () => Client.GetDeviceAsync(new GetDeviceRequest()).ResponseAsync);
    }
}

public sealed class RegisterDeviceRpcTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private EmulatorService.EmulatorServiceClient Client => new(factory.Channel);

    private static Device Custom(string id) => new()
    {
        Id = id, Name = "What-if H800 with HBM3e", Vendor = "NVIDIA",
        PeakTflops = new DtypePeaks { Bf16 = 989.4, Fp16 = 989.4, Fp8 = 1978.9, Fp32 = 67 },
        HbmGb = 141, HbmTbps = 4.8, ScaleUpGbps = 200, ScaleOutGbps = 50, ComputeUnits = 132, L2Mb = 50, TdpWatts = 700,
    };

    [Fact]
    public async Task Registered_device_is_listed_and_usable_by_estimate_ops()
    {
        var stored = (await Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = Custom("H800-HBM3E") })).Device;
        Assert.Equal("h800-hbm3e", stored.Id);
        Assert.False(stored.BuiltIn);
        Assert.Equal(0.9, stored.ScaleOutEfficiency, 6);
        Assert.Equal("h800-hbm3e", (await Client.GetDeviceAsync(new GetDeviceRequest { Id = "h800-hbm3e" })).Device.Id);
        var op = new OpSpec
        {
            Dtype = Dtype.Bf16,
            Elementwise = new ElementwiseOp
            {
                Kind = Platform.Contracts.Emulator.V1.ElementwiseKind.Copy, Elements = 1L << 30,
            },
        };
        var custom = await Client.EstimateOpsAsync(new EstimateOpsRequest { Device = "h800-hbm3e", Ops = { op } });
        var h800 = await Client.EstimateOpsAsync(new EstimateOpsRequest { Device = "h800", Ops = { op } });
        Assert.InRange(h800.TotalDeviceSeconds / custom.TotalDeviceSeconds, 1.4, 1.45); // 4.8 / 3.35 TB/s
    }

    [Fact]
    public async Task Built_in_ids_cannot_be_replaced() =>
        await GrpcAssert.FailsWith(StatusCode.FailedPrecondition, "device.id", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = Custom("h100-sxm") }).ResponseAsync);

    [Fact]
    public async Task Invalid_devices_are_refused_naming_the_field()
    {
        await GrpcAssert.InvalidField("device.id", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = Custom("bad id!") }).ResponseAsync);
        var negative = Custom("neg"); negative.PeakTflops.Bf16 = -1;
        await GrpcAssert.InvalidField("device.peak_tflops.bf16", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = negative }).ResponseAsync);
        var nan = Custom("nan-peak"); nan.PeakTflops.Fp8 = double.NaN;
        await GrpcAssert.InvalidField("device.peak_tflops.fp8", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = nan }).ResponseAsync);
        var noPeaks = Custom("nopeaks"); noPeaks.PeakTflops = new DtypePeaks();
        await GrpcAssert.InvalidField("device.peak_tflops", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = noPeaks }).ResponseAsync);
        var noHbm = Custom("nohbm"); noHbm.HbmTbps = 0;
        await GrpcAssert.InvalidField("device.hbm_tbps", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = noHbm }).ResponseAsync);
        var noLink = Custom("nolink"); noLink.ScaleUpGbps = -5;
        await GrpcAssert.InvalidField("device.scale_up_gbps", () => Client.RegisterDeviceAsync(
            new RegisterDeviceRequest { Device = noLink }).ResponseAsync);
        await GrpcAssert.InvalidField("device",
            () => Client.RegisterDeviceAsync(new RegisterDeviceRequest()).ResponseAsync);
    }
}
