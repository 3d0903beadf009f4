using System.ComponentModel;
using Google.Protobuf;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Emulator.V1;
using Spectre.Console;
using Spectre.Console.Cli;
using static Platform.Cli.Infrastructure.Output;

namespace Platform.Cli.Commands.Devices;

public sealed class ListDevicesSettings : ChartSettings
{
    [CommandOption("--vendor <VENDOR>")]
    [Description("Only this vendor's devices (case-insensitive), e.g. NVIDIA, AMD, Huawei")]
    public string? Vendor { get; init; }
}

/// <summary>platform devices list: the accelerator catalog (every page).</summary>
public sealed class ListDevicesCommand(CliEnvironment env) : PlatformCommand<ListDevicesSettings>(env)
{
    protected override async Task<int> RunAsync(Connection c, ListDevicesSettings s, CancellationToken ct)
    {
        var all = await Catalog.AllDevicesAsync(c, s.Vendor, ct);
        var o = Output(s);
        if (s.Chart is not null)
        {
            Charts.ChartFile.Save(Charts.DeviceCharts.Peaks([.. all.Devices.Select(d =>
                new Charts.DevicePoint(d.Id, d.PeakTflops?.Bf16 ?? 0, d.HbmTbps, d.HbmGb))]), s.Chart);
            o.Saved(s.Chart);
        }
        if (o.Json) { o.WriteJson(all); return ExitCodes.Ok; }
        var t = Table("id", "name", "vendor", "#year", "#BF16 TF", "#FP8 TF", "#HBM GB", "#HBM TB/s", "#scale-up GB/s",
            "#$/h mid");
        foreach (var d in all.Devices)
            t.AddRow(E(d.Id), E(d.Name), E(d.Vendor), d.Year.ToString(), Num(d.PeakTflops?.Bf16 ?? 0, 0),
                Num(d.PeakTflops?.Fp8 ?? 0, 0), Num(d.HbmGb, 0), Num(d.HbmTbps), Num(d.ScaleUpGbps, 0),
                Num(d.PriceMidUsd));
        o.Write(t);
        return ExitCodes.Ok;
    }
}

public sealed class ShowDeviceSettings : GlobalSettings
{
    [CommandArgument(0, "<ID>")]
    [Description("Device id, e.g. h800 (platform devices list)")]
    public string Id { get; init; } = "";
}

/// <summary>platform devices show ID.</summary>
public sealed class ShowDeviceCommand(CliEnvironment env) : PlatformCommand<ShowDeviceSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(ShowDeviceSettings s) =>
        [new("ID", NameKind.Device, s.Id)];

    protected override async Task<int> RunAsync(Connection c, ShowDeviceSettings s, CancellationToken ct)
    {
        var r = await new EmulatorService.EmulatorServiceClient(c.Invoker)
            .GetDeviceAsync(new GetDeviceRequest { Id = s.Id }, c.Options(ct));
        var o = Output(s);
        if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
        o.Write(DeviceGrid(r.Device));
        return ExitCodes.Ok;
    }

    internal static Grid DeviceGrid(Device d)
    {
        var g = new Grid().AddColumn().AddColumn();
        void Row(string k, string v) => g.AddRow(new Markup($"[bold]{E(k)}[/]"), new Markup(E(v)));
        Row("id", d.Id);
        Row("name", $"{d.Name} ({d.Vendor}, {d.Year})");
        var p = d.PeakTflops ?? new DtypePeaks();
        Row("peak dense TFLOPS", $"FP64 {p.Fp64:0.#}, FP32 {p.Fp32:0.#}, TF32 {p.Tf32:0.#}, BF16 {p.Bf16:0.#}, " +
            $"FP16 {p.Fp16:0.#}, FP8 {p.Fp8:0.#}, INT8 {p.Int8:0.#}");
        Row("memory", $"{d.HbmGb:0.#} GB HBM at {d.HbmTbps:0.###} TB/s; L2 {d.L2Mb:0.#} MB");
        Row("links", $"scale-up {d.ScaleUpGbps:0.#} GB/s ({d.ScaleUpDomain} per domain), scale-out " +
            $"{d.ScaleOutGbps:0.#} GB/s");
        Row("power", $"{d.TdpWatts:0} W, {d.ComputeUnits} compute units");
        Row("price $/h", $"low {d.PriceLowUsd:0.00}, mid {d.PriceMidUsd:0.00}, list {d.PriceListUsd:0.00}");
        Row("built in", d.BuiltIn ? "yes" : "no (registered)");
        if (d.Source.Length > 0) Row("source", d.Source);
        if (d.Notes.Length > 0) Row("notes", d.Notes);
        return g;
    }
}

public sealed class RegisterDeviceSettings : GlobalSettings
{
    [CommandOption("--file <FILE>")]
    [Description("A Device as proto3 JSON (fields of platform.emulator.v1.Device)")]
    public string? File { get; init; }

    [CommandOption("--like <ID>")]
    [Description("Start from this catalog device (e.g. h800) and change what the other flags give")]
    public string? Like { get; init; }

    [CommandOption("--id <ID>")]
    [Description("The new device's id (lowercase letters, digits, '-', '_', '.')")]
    public string? Id { get; init; }

    [CommandOption("--name <NAME>")] public string? Name { get; init; }
    [CommandOption("--vendor <VENDOR>")] public string? Vendor { get; init; }
    [CommandOption("--bf16-tflops <N>")] public double? Bf16 { get; init; }
    [CommandOption("--fp8-tflops <N>")] public double? Fp8 { get; init; }
    [CommandOption("--hbm-gb <N>")] public double? HbmGb { get; init; }
    [CommandOption("--hbm-tbps <N>")] public double? HbmTbps { get; init; }
    [CommandOption("--scale-up-gbps <N>")] public double? ScaleUp { get; init; }
    [CommandOption("--scale-out-gbps <N>")] public double? ScaleOut { get; init; }
    [CommandOption("--tdp-watts <N>")] public double? Tdp { get; init; }
    [CommandOption("--price <USD>")]
    [Description("USD per accelerator-hour (sets the mid price)")]
    public double? Price { get; init; }
}

/// <summary>platform devices register: adds (or replaces) a custom accelerator.</summary>
public sealed class RegisterDeviceCommand(CliEnvironment env) : PlatformCommand<RegisterDeviceSettings>(env)
{
    protected override IEnumerable<NamedValue> NamedValues(RegisterDeviceSettings s) =>
        [new("--like", NameKind.Device, s.Like)];

    protected override async Task<int> RunAsync(Connection c, RegisterDeviceSettings s, CancellationToken ct)
    {
        var client = new EmulatorService.EmulatorServiceClient(c.Invoker);
        Device d;
        if (s.File is not null)
        {
            if (!System.IO.File.Exists(s.File)) throw new CliUsageException($"--file: no file '{s.File}'");
            try { d = JsonParser.Default.Parse<Device>(await System.IO.File.ReadAllTextAsync(s.File, ct)); }
            catch (InvalidProtocolBufferException e)
            {
                throw new CliUsageException($"--file: not a Device in proto3 JSON: {e.Message}");
            }
        }
        else if (s.Like is not null)
            d = (await client.GetDeviceAsync(new GetDeviceRequest { Id = s.Like }, c.Options(ct))).Device;
        else d = new Device { PeakTflops = new DtypePeaks() };
        d.BuiltIn = false;
        if (s.Id is not null) d.Id = s.Id;
        if (string.IsNullOrEmpty(d.Id) || (s.Like is not null && d.Id == s.Like && s.Id is null))
            throw new CliUsageException("--id: give the new device's id (e.g. --id my-h800)");
        if (s.Name is not null) d.Name = s.Name;
        else if (s.Like is not null) d.Name = $"{d.Name} (custom {d.Id})";
        if (s.Vendor is not null) d.Vendor = s.Vendor;
        d.PeakTflops ??= new DtypePeaks();
        if (s.Bf16 is { } b) { d.PeakTflops.Bf16 = b; d.PeakTflops.Fp16 = b; }
        if (s.Fp8 is { } f) d.PeakTflops.Fp8 = f;
        if (s.HbmGb is { } g) d.HbmGb = g;
        if (s.HbmTbps is { } t) d.HbmTbps = t;
        if (s.ScaleUp is { } u) d.ScaleUpGbps = u;
        if (s.ScaleOut is { } x) d.ScaleOutGbps = x;
        if (s.Tdp is { } w) d.TdpWatts = w;
        if (s.Price is { } p) d.PriceMidUsd = p;
        var r = await client.RegisterDeviceAsync(new RegisterDeviceRequest { Device = d }, c.Options(ct));
        var o = Output(s);
        if (o.Json) { o.WriteJson(r); return ExitCodes.Ok; }
        o.Line($"[green]registered[/] {E(r.Device.Id)}");
        o.Write(ShowDeviceCommand.DeviceGrid(r.Device));
        return ExitCodes.Ok;
    }
}
