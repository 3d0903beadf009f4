using System.ComponentModel;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using Spectre.Console.Cli;

namespace Platform.Cli.Commands.Train;

/// <summary>The flags that describe one training run (a TrainingRunSpec).</summary>
public class RunSettings : ChartSettings
{
    [CommandOption("--model <PRESET|FILE>")]
    [Description("Model preset id (e.g. deepseek-v3, llama-3.1-70b) or a Hugging Face config.json file")]
    public string Model { get; init; } = "deepseek-v3";

    [CommandOption("--tokens <N>")]
    [Description("Training tokens, e.g. 14.8T or 1.48e13 (default 14.8T)")]
    public string Tokens { get; init; } = "14.8T";

    [CommandOption("--seq <N>")]
    [Description("Tokens per sequence (default 4096)")]
    public string Seq { get; init; } = "4096";

    [CommandOption("--device <ID>")]
    [Description("Accelerator id from `platform devices list` (default h800)")]
    public string Device { get; init; } = "h800";

    [CommandOption("--count <N>")]
    [Description("Accelerators (default 2048)")]
    public string Count { get; init; } = "2048";

    [CommandOption("--precision <P>")]
    [Description("bf16 (default), fp16 or fp8 weight GEMMs")]
    public string? Precision { get; init; }

    [CommandOption("--price <USD>")]
    [Description("USD per accelerator-hour (default: the device's price preset)")]
    public double? Price { get; init; }

    [CommandOption("--price-preset <P>")]
    [Description("low, mid (default) or list device price")]
    public string? PricePreset { get; init; }

    [CommandOption("--objective <O>")]
    [Description("What the plan search minimises: min-time (default) or min-cost")]
    public string? Objective { get; init; }

    [CommandOption("--global-batch-tokens <N>")]
    [Description("Tokens per optimizer step (default: 4 sequences per accelerator, 4M-16M)")]
    public string? GlobalBatchTokens { get; init; }

    [CommandOption("--tp <N>")][Description("Fixed plan: tensor parallel")] public int? Tp { get; init; }
    [CommandOption("--pp <N>")][Description("Fixed plan: pipeline parallel")] public int? Pp { get; init; }
    [CommandOption("--ep <N>")][Description("Fixed plan: expert parallel")] public int? Ep { get; init; }
    [CommandOption("--cp <N>")][Description("Fixed plan: context parallel")] public int? Cp { get; init; }
    [CommandOption("--zero <N>")][Description("Fixed plan: ZeRO stage 0-3")] public int? Zero { get; init; }

    [CommandOption("--recompute <R>")]
    [Description("Fixed plan: none, selective or full")]
    public string? Recompute { get; init; }

    [CommandOption("--schedule <S>")]
    [Description("Fixed plan: one-f-one-b, interleaved or dual-pipe")]
    public string? Schedule { get; init; }

    [CommandOption("--micro-batch <N>")]
    [Description("Fixed plan: sequences per micro-batch")]
    public int? MicroBatch { get; init; }

    [CommandOption("--bf16-moments")]
    [Description("Fixed plan: Adam moments in BF16 (DeepSeek-V3)")]
    public bool Bf16Moments { get; init; }

    /// <summary>The run as the services take it.</summary>
    public TrainingRunSpec ToSpec()
    {
        var run = new TrainingRunSpec
        {
            Model = ModelFlag.Spec("--model", Model),
            TrainingTokens = Parse.Count("--tokens", Tokens),
            SequenceLength = Parse.Count("--seq", Seq),
            Cluster = new Cluster { Accelerator = Device, Count = Parse.Count("--count", Count) },
            PricePerAcceleratorHourUsd = Price ?? 0,
        };
        if (Precision is not null) run.Precision = Parse.Enum<Precision>("--precision", Precision);
        if (PricePreset is not null) run.PricePreset = Parse.Enum<PricePreset>("--price-preset", PricePreset);
        if (Objective is not null) run.Objective = Parse.Enum<PlanObjective>("--objective", Objective);
        if (GlobalBatchTokens is not null) run.GlobalBatchTokens = Parse.Count("--global-batch-tokens",
            GlobalBatchTokens);
        if (Tp is not null || Pp is not null || Ep is not null || Cp is not null || Zero is not null ||
            Recompute is not null || Schedule is not null || MicroBatch is not null || Bf16Moments)
        {
            var p = new ParallelismPlan
            {
                TensorParallel = Tp ?? 1, PipelineParallel = Pp ?? 1, ExpertParallel = Ep ?? 1,
                ContextParallel = Cp ?? 1, MicroBatchSize = MicroBatch ?? 1, Bf16OptimizerMoments = Bf16Moments,
            };
            if (Zero is { } z) p.ZeroStage = z;
            if (Recompute is not null) p.Recompute = Parse.Enum<RecomputeMode>("--recompute", Recompute);
            if (Schedule is not null) p.PipelineSchedule = Parse.Enum<PipelineSchedule>("--schedule", Schedule);
            run.Parallelism = p;
        }
        return run;
    }

    public virtual IEnumerable<NamedValue> Named() =>
        [new("--device", NameKind.Device, Device), new("--model", NameKind.Model, ModelFlag.PresetOrNull(Model))];
}

/// <summary>--model: a preset id, or a path to a Hugging Face config.json.</summary>
public static class ModelFlag
{
    public static ModelSpec Spec(string flag, string value)
    {
        if (value.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(value))
        {
            if (!File.Exists(value)) throw new CliUsageException($"{flag}: no file '{Connection.Clip(value)}'");
            var info = new FileInfo(value);
            if (info.Length > 1_000_000) throw new CliUsageException($"{flag}: a config.json is at most 1 MB");
            return new ModelSpec { HfConfigJson = File.ReadAllText(value) };
        }
        return new ModelSpec { Preset = value };
    }

    public static string? PresetOrNull(string value) =>
        value.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(value) ? null : value;
}
