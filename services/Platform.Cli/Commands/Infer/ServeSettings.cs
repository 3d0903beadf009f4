using System.ComponentModel;
using Platform.Cli.Commands.Train;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;
using Spectre.Console.Cli;

namespace Platform.Cli.Commands.Infer;

/// <summary>Model, workload and SLO flags shared by the serving commands.</summary>
public class WorkloadSettings : ChartSettings
{
    [CommandOption("--model <PRESET|FILE>")]
    [Description("Model preset id or a Hugging Face config.json file (default deepseek-v3; DeepSeek-R1 has the same " +
        "architecture)")]
    public string Model { get; init; } = "deepseek-v3";

    [CommandOption("--trace <NAME>")]
    [Description("Replay a built-in trace (platform infer traces) instead of a synthetic workload")]
    public string? Trace { get; init; }

    [CommandOption("--rate <RPS>")]
    [Description("Synthetic: mean arrival rate, requests/s (default 2); plan: the target rate")]
    public double? Rate { get; init; }

    [CommandOption("--requests <N>")]
    [Description("Synthetic: requests to simulate (default 200); trace: replay only the first N")]
    public int? Requests { get; init; }

    [CommandOption("--arrival <A>")]
    [Description("Synthetic: poisson (default), gamma or constant")]
    public string? Arrival { get; init; }

    [CommandOption("--prompt-tokens <N>")]
    [Description("Synthetic prompt length: N (fixed), exp:N (exponential mean N) or trace:NAME (default 1000)")]
    public string PromptTokens { get; init; } = "1000";

    [CommandOption("--output-tokens <N>")]
    [Description("Synthetic output length: N, exp:N or trace:NAME (default 300)")]
    public string OutputTokens { get; init; } = "300";

    [CommandOption("--seed <N>")]
    [Description("Synthetic: random seed (default 1)")]
    public ulong Seed { get; init; } = 1;

    [CommandOption("--ttft-slo <MS>")][Description("Time-to-first-token SLO, ms")] public double TtftSlo { get; init; }
    [CommandOption("--tpot-slo <MS>")]
    [Description("Time-per-output-token SLO, ms")]
    public double TpotSlo { get; init; }

    public ModelSpec ModelSpec() => ModelFlag.Spec("--model", Model);

    public Slo Slo() => new() { TtftMs = TtftSlo, TpotMs = TpotSlo };

    /// <summary>The workload at <paramref name="rate"/> requests/s (synthetic) or the trace.</summary>
    public Workload Workload(double? rate = null)
    {
        if (Trace is not null) return new Workload { Trace = Trace, MaxRequests = Requests ?? 0 };
        var syn = new SyntheticWorkload
        {
            Arrival = Arrival is null ? Contracts.Inference.V1.Arrival.Poisson
                : Parse.Enum<Contracts.Inference.V1.Arrival>("--arrival", Arrival),
            RatePerSecond = rate ?? Rate ?? 2,
            Requests = Requests ?? 200,
            Seed = Seed,
            PromptTokens = Length("--prompt-tokens", PromptTokens),
            OutputTokens = Length("--output-tokens", OutputTokens),
        };
        return new Workload { Synthetic = syn };
    }

    private static LengthDistribution Length(string flag, string v)
    {
        if (v.StartsWith("exp:", StringComparison.OrdinalIgnoreCase))
            return new LengthDistribution { ExponentialMean = Parse.Number(flag, v[4..]) };
        if (v.StartsWith("trace:", StringComparison.OrdinalIgnoreCase))
            return new LengthDistribution { EmpiricalTrace = v[6..] };
        return new LengthDistribution { Fixed = Parse.Count(flag, v) };
    }

    public virtual IEnumerable<NamedValue> Named() =>
        [new("--model", NameKind.Model, ModelFlag.PresetOrNull(Model)), new("--trace", NameKind.Trace, Trace)];
}

/// <summary>Deployment flags of one serving configuration.</summary>
public class DeploymentSettings : WorkloadSettings, IDeploymentFlags
{
    [CommandOption("--device <ID>")]
    [Description("Accelerator id (default h800)")]
    public string Device { get; init; } = "h800";
    [CommandOption("--replicas <N>")][Description("Replicas (default 1)")] public int Replicas { get; init; } = 1;
    [CommandOption("--tp <N>")]
    [Description("Tensor parallel per replica (default 8)")]
    public int Tp { get; init; } = 8;
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

    public Deployment Deployment() => this.ToDeployment();

    public override IEnumerable<NamedValue> Named() => [new("--device", NameKind.Device, Device), .. base.Named()];
}
