using System.Text.Json;
using Platform.Cli.Infrastructure;

namespace Platform.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class DeviceCommandTests(CliHost host)
{
    [Fact]
    public async Task Devices_list_json_is_the_proto3_json_of_every_device()
    {
        var r = await host.Run("devices", "list", "--json");
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        var ids = doc.RootElement.GetProperty("devices").EnumerateArray()
            .Select(d => d.GetProperty("id").GetString()).ToList();
        Assert.Contains("h100-sxm", ids);
        Assert.Contains("ascend-910b", ids);
        var h800 = doc.RootElement.GetProperty("devices").EnumerateArray()
            .Single(d => d.GetProperty("id").GetString() == "h800");
        Assert.InRange(h800.GetProperty("peakTflops").GetProperty("bf16").GetDouble(), 989, 990);
        Assert.True(h800.TryGetProperty("hbmTbps", out _));
    }

    [Fact]
    public async Task Devices_list_prints_a_table_for_people()
    {
        var r = await host.Run("devices", "list", "--vendor", "nvidia");
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        Assert.Contains("h800", r.Out);
        Assert.Contains("BF16 TF", r.Out);
        Assert.DoesNotContain("ascend-910b", r.Out);
        Assert.DoesNotContain("{", r.Out);
    }

    [Fact]
    public async Task An_unknown_device_exits_3_naming_the_argument_with_the_closest_ids()
    {
        var r = await host.Run("devices", "show", "H100");
        Assert.Equal(ExitCodes.NotFound, r.ExitCode);
        Assert.Contains("no device 'H100'", r.Error);
        Assert.Contains("Did you mean h100-sxm", r.Error);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public async Task Register_like_a_catalog_device_changes_only_what_the_flags_give()
    {
        var r = await host.Run("devices", "register", "--like", "h800", "--id", "cli-h800-96g", "--hbm-gb", "96",
            "--json");
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        var d = doc.RootElement.GetProperty("device");
        Assert.Equal("cli-h800-96g", d.GetProperty("id").GetString());
        Assert.Equal(96, d.GetProperty("hbmGb").GetDouble());
        Assert.InRange(d.GetProperty("peakTflops").GetProperty("bf16").GetDouble(), 989, 990);
        Assert.False(d.GetProperty("builtIn").GetBoolean());
        var show = await host.Run("devices", "show", "cli-h800-96g");
        Assert.Equal(ExitCodes.Ok, show.ExitCode);
        Assert.Contains("96 GB HBM", show.Out);
    }

    [Fact]
    public async Task Without_an_api_key_the_host_refuses_and_the_cli_says_what_to_send()
    {
        var r = await host.Run(["devices", "list"], key: null);
        Assert.Equal(ExitCodes.BadUsage, r.ExitCode);
        Assert.Contains("Unauthenticated", r.Error);
        Assert.Contains("--api-key", r.Error);
        var flag = await host.Run(["devices", "list", "--json", "--api-key", CliHost.ApiKey], key: null);
        Assert.Equal(ExitCodes.Ok, flag.ExitCode);
    }

    [Fact]
    public async Task No_host_at_the_endpoint_exits_4()
    {
        var r = await CliHost.RunCli(["devices", "list", "--endpoint", "http://127.0.0.1:1", "--timeout", "10"], null);
        Assert.Equal(ExitCodes.Unavailable, r.ExitCode);
        Assert.Contains("No platform host answered", r.Error);
    }
}
