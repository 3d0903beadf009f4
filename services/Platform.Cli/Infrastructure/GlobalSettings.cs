using System.ComponentModel;
using Spectre.Console.Cli;

namespace Platform.Cli.Infrastructure;

/// <summary>Flags every command takes.</summary>
public class GlobalSettings : CommandSettings
{
    public const string DefaultEndpoint = "http://127.0.0.1:5080";

    [CommandOption("--endpoint <URL>")]
    [Description("The host's gRPC endpoint (default $PLATFORM_ENDPOINT, else " + DefaultEndpoint + ")")]
    public string? Endpoint { get; init; }

    [CommandOption("--api-key <KEY>")]
    [Description("API key sent as x-api-key (default $PLATFORM_API_KEY)")]
    public string? ApiKey { get; init; }

    [CommandOption("--json")]
    [Description("Print the response as proto3 JSON instead of a table")]
    public bool Json { get; init; }

    [CommandOption("--timeout <SECONDS>")]
    [Description("Deadline of each call in seconds (default 300)")]
    [DefaultValue(300d)]
    public double TimeoutSeconds { get; init; } = 300;

    public override Spectre.Console.ValidationResult Validate() =>
        TimeoutSeconds is > 0 and <= 86_400
            ? Spectre.Console.ValidationResult.Success()
            : Spectre.Console.ValidationResult.Error("--timeout: give seconds in (0, 86400]");
}

/// <summary>Commands that can also save a chart.</summary>
public class ChartSettings : GlobalSettings
{
    [CommandOption("--chart <FILE>")]
    [Description("Also write a chart: FILE.svg or FILE.png")]
    public string? Chart { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        if (Chart is not null && !Charts.ChartFile.IsSupported(Chart))
            return Spectre.Console.ValidationResult.Error($"--chart: the file must end in .svg or .png");
        return base.Validate();
    }
}
