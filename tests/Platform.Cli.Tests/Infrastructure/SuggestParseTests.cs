using Platform.Cli.Infrastructure;
using Platform.Contracts.Training.V1;

namespace Platform.Cli.Tests.Infrastructure;

public sealed class SuggestParseTests
{
    private static readonly string[] Devices = ["a100-80gb", "h100-pcie", "h100-sxm", "h20", "h200", "h800", "mi300x",
        "ascend-910b"];

    [Theory]
    [InlineData("H100", "h100-sxm")]
    [InlineData("h100sxm", "h100-sxm")]
    [InlineData("H800", "h800")]
    [InlineData("mi300", "mi300x")]
    [InlineData("910b", "ascend-910b")]
    [InlineData("a100", "a100-80gb")]
    public void Suggests_by_case_insensitive_prefix_or_edit_distance(string given, string expected) =>
        Assert.Contains(expected, Suggest.Closest(given, Devices));

    [Fact]
    public void Suggests_nothing_for_a_far_off_name() => Assert.Empty(Suggest.Closest("quantum-chip", Devices));

    [Theory]
    [InlineData("14.8T", 14_800_000_000_000)]
    [InlineData("1.48e13", 14_800_000_000_000)]
    [InlineData("4096", 4096)]
    [InlineData("2k", 2000)]
    [InlineData("1,000", 1000)]
    public void Counts_take_suffixes_and_exponents(string value, long expected) =>
        Assert.Equal(expected, Parse.Count("--tokens", value));

    [Theory]
    [InlineData("lots")]
    [InlineData("-5")]
    [InlineData("1e30")]
    public void Bad_counts_name_the_flag(string value) =>
        Assert.Contains("--tokens", Assert.Throws<CliUsageException>(() => Parse.Count("--tokens", value)).Message);

    [Theory]
    [InlineData("fp8", Precision.Fp8)]
    [InlineData("PRECISION_BF16", Precision.Bf16)]
    [InlineData("Fp16", Precision.Fp16)]
    public void Enums_by_short_or_full_name(string value, Precision expected) =>
        Assert.Equal(expected, Parse.Enum<Precision>("--precision", value));

    [Fact]
    public void Enum_names_drop_the_prefix_and_unspecified() =>
        Assert.Equal(["one-f-one-b", "interleaved", "dual-pipe"],
            Parse.EnumNames<PipelineSchedule>().Select(n => n.Short));

    [Theory]
    [InlineData("INVALID_ARGUMENT", ExitCodes.BadUsage)]
    [InlineData("NOT_FOUND", ExitCodes.NotFound)]
    [InlineData("UNAVAILABLE", ExitCodes.Unavailable)]
    [InlineData("INTERNAL", ExitCodes.Other)]
    public void Job_error_codes_map_to_exit_codes(string name, int code) =>
        Assert.Equal(code, ExitCodes.OfStatusName(name));
}
