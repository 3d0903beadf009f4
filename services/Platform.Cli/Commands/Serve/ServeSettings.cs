using System.ComponentModel;
using Platform.Cli.Commands.Train;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;
using Spectre.Console.Cli;

namespace Platform.Cli.Commands.Serve;

/// <summary>A live deployment named on the command line.</summary>
public class DeploymentNameSettings : GlobalSettings
{
    [CommandArgument(0, "<NAME>")]
    [Description("The live deployment's name (platform serve list)")]
    public string Name { get; init; } = "";
}

public sealed class ServeCreateSettings : DeploymentNameSettings, IDeploymentFlags
{
    [CommandOption("--model <PRESET|FILE>")]
    [Description("Model preset id or a Hugging Face config.json file (default llama-3.1-8b)")]
    public string Model { get; init; } = "llama-3.1-8b";

    [CommandOption("--device <ID>")]
    [Description("Accelerator id (default h100-sxm)")]
    public string Device { get; init; } = "h100-sxm";

    [CommandOption("--replicas <N>")][Description("Replicas (default 1)")] public int Replicas { get; init; } = 1;
    [CommandOption("--tp <N>")]
    [Description("Tensor parallel per replica (default 1)")]
    public int Tp { get; init; } = 1;
    [CommandOption("--pp <N>")]
    [Description("Pipeline parallel per replica (default 1)")]
    public int Pp { get; init; } = 1;
    [CommandOption("--ep <N>")][Description("Expert parallel (default: TP x DP for MoE)")] public int? Ep { get; init; }
    [CommandOption("--dp <N>")][Description("Attention data-parallel ranks per replica")] public int? Dp { get; init; }
    [CommandOption("--max-num-seqs <N>")][Description("Batch cap")] public int? MaxNumSeqs { get; init; }

    [CommandOption("--weight-dtype <D>")]
    [Description("Weight format: bf16 (default), fp8-e4m3, ...")]
    public string? WeightDtype { get; init; }

    [CommandOption("--kv-dtype <D>")]
    [Description("KV-cache format (default bf16)")]
    public string? KvDtype { get; init; }

    [CommandOption("--price <USD>")]
    [Description("USD per accelerator-hour (default: the device's mid price)")]
    public double? Price { get; init; }

    [CommandOption("--time-scale <F>")]
    [Description("Wall seconds per modelled second: 1 = real time (default), 0.1 = ten times faster")]
    public double TimeScale { get; init; } = 1;

    public CreateDeploymentRequest Request() => new()
    {
        Name = Name, Model = ModelFlag.Spec("--model", Model), Deployment = this.ToDeployment(), TimeScale = TimeScale,
    };

    public IEnumerable<NamedValue> Named() =>
        [new("--device", NameKind.Device, Device), new("--model", NameKind.Model, ModelFlag.PresetOrNull(Model))];
}

public sealed class ServeChatSettings : DeploymentNameSettings
{
    [CommandArgument(1, "[PROMPT]")]
    [Description("The prompt text (or give --prompt-tokens)")]
    public string? Prompt { get; init; }

    [CommandOption("--max-tokens <N>")]
    [Description("Tokens to generate, 1 to 16384 (default 256)")]
    public int MaxTokens { get; init; }

    [CommandOption("--prompt-tokens <N>")]
    [Description("Instead of PROMPT: a synthetic prompt of N tokens")]
    public int PromptTokens { get; init; }

    [CommandOption("--prompt-token-ids <IDS>")]
    [Description("Instead of PROMPT: the prompt's token ids, comma separated (at most 1048576, each >= 0)")]
    public string? PromptTokenIds { get; init; }

    [CommandOption("--prompt-token-ids-file <FILE>")]
    [Description("Instead of PROMPT: a file of token ids separated by whitespace")]
    public string? PromptTokenIdsFile { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        int given = (string.IsNullOrEmpty(Prompt) ? 0 : 1) + (PromptTokens > 0 ? 1 : 0)
            + (PromptTokenIds is null ? 0 : 1) + (PromptTokenIdsFile is null ? 0 : 1);
        return given != 1
            ? Spectre.Console.ValidationResult.Error(
                "give PROMPT, --prompt-tokens N, --prompt-token-ids IDS or --prompt-token-ids-file FILE (one of them)")
            : MaxTokens < 0
                ? Spectre.Console.ValidationResult.Error("--max-tokens: give 1 to 16384 (0 = 256)")
                : base.Validate();
    }

    /// <summary>The request this command sends: its prompt as text, a length, or token ids.</summary>
    public GenerateRequest Request()
    {
        var req = new GenerateRequest { Deployment = Name, MaxTokens = MaxTokens, IncludeText = true };
        if (PromptTokenIds is not null)
            req.PromptTokenIds.AddRange(Serve.PromptTokenIds.FromList("--prompt-token-ids", PromptTokenIds));
        else if (PromptTokenIdsFile is not null)
            req.PromptTokenIds.AddRange(Serve.PromptTokenIds.FromFile("--prompt-token-ids-file", PromptTokenIdsFile));
        else
        {
            req.Prompt = Prompt ?? "";
            req.PromptTokens = Math.Max(0, PromptTokens);
        }
        return req;
    }
}
