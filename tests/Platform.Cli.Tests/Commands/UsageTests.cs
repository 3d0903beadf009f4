using Platform.Cli.Infrastructure;

namespace Platform.Cli.Tests.Commands;

[Collection(CliCollection.Name)]
public sealed class UsageTests(CliHost host)
{
    [Fact]
    public async Task A_device_flag_the_server_does_not_know_exits_3_with_a_suggestion()
    {
        var r = await host.Run("train", "estimate", "--model", "llama-3.1-8b", "--tokens", "1B", "--count", "8",
            "--device", "H100");
        Assert.Equal(ExitCodes.NotFound, r.ExitCode);
        Assert.Contains("--device: no device 'H100'", r.Error);
        Assert.Contains("Did you mean h100-sxm", r.Error);
    }

    [Fact]
    public async Task A_model_flag_the_server_does_not_know_suggests_presets()
    {
        var r = await host.Run("train", "estimate", "--model", "deepseek-v4", "--count", "8");
        Assert.Equal(ExitCodes.NotFound, r.ExitCode);
        Assert.Contains("--model: no model preset 'deepseek-v4'. Did you mean deepseek-v3?", r.Error);
    }

    [Fact]
    public async Task A_bad_enum_value_exits_2_naming_the_flag_and_the_valid_values()
    {
        var r = await host.Run("train", "estimate", "--precision", "fp9");
        Assert.Equal(ExitCodes.BadUsage, r.ExitCode);
        Assert.Contains("--precision: no value 'fp9'", r.Error);
        Assert.Contains("fp8", r.Error);
        Assert.Contains("Valid: bf16, fp16, fp8", r.Error);
    }

    [Theory]
    [InlineData("devices", "list", "--bogus")]
    [InlineData("devices", "lst")]
    [InlineData("train", "estimate", "--tokens", "many")]
    [InlineData("train", "optimal")]
    public async Task Bad_usage_exits_2(params string[] args)
    {
        var r = await host.Run(args);
        Assert.Equal(ExitCodes.BadUsage, r.ExitCode);
        Assert.NotEqual("", r.Error);
    }

    [Fact]
    public async Task A_misspelt_flag_exits_2_with_the_command_s_closest_flag()
    {
        var r = await host.Run("train", "estimate", "--devic", "h800");
        Assert.Equal(ExitCodes.BadUsage, r.ExitCode);
        Assert.Contains("Unknown option 'devic'", r.Error);
        Assert.Contains("Did you mean --device?", r.Error);
    }

    [Fact]
    public async Task Input_the_server_rejects_exits_2_with_the_field_at_fault()
    {
        var r = await host.Run("train", "estimate", "--model", "llama-3.1-8b", "--tokens", "1B", "--count", "0");
        Assert.Equal(ExitCodes.BadUsage, r.ExitCode);
        Assert.Contains("InvalidArgument", r.Error);
        Assert.Contains("run.cluster.count", r.Error);
    }

    [Fact]
    public async Task Help_lists_the_command_groups()
    {
        var r = await CliHost.RunCli(["--help"], null);
        Assert.Equal(ExitCodes.Ok, r.ExitCode);
        foreach (string g in new[] { "devices", "kernel", "train", "infer", "jobs", "demo" }) Assert.Contains(g, r.Out);
    }
}
