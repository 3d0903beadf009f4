using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using InferenceScheduler.Application;
using InferenceScheduler.Application.Capacity;
using InferenceScheduler.Domain.Timing;
using Platform.Contracts.Inference.V1;

namespace Platform.Benchmarks.Inference;

/// <summary>
/// `inference deepseek-plan`: DeepSeek-V3/R1's published day-6 load (open-infra-index day 6, references.md §2: 608B
/// input and 168B output tokens a day, 56.3% prefix-cache hits, 226.75 H800 nodes of 8 on average) planned with
/// PlanCapacity on H800 (DeepSeek's layout: prefill DP32/EP32 on 4 nodes, decode DP144/EP144 on 18 nodes), on H20, on
/// Ascend 910B and on H800 prefill with H20 decode. A full-scale plan (1,407 requests/s over ~1,800 accelerators) is
/// too slow for this machine, so each plan is one prefill:decode unit (max_accelerators = its accelerators) at a rate
/// found by bisection, the highest that one unit serves within the SLOs; the day's load then needs
/// day-average rate ÷ that rate units (fractional, like DeepSeek's day-average node count). docs/VALIDATION.md
/// explains the workload, the slice and the direction of every error.
/// </summary>
internal static class DeepSeekPlan
{
    public const double InputPerDay = 608e9, OutputPerDay = 168e9, PublishedNodes = 226.75;
    public const double PublishedCostPerDay = 87_072; // 226.75 nodes x 8 H800 x $2/h x 24 h (DeepSeek's assumption)

    /// <summary>Mean prompt: DeepSeek's "~5k average context", as the production check (DeepSeekValidation) models
    /// it.</summary>
    public const double MeanPrompt = 5000;

    /// <summary>Mean output so that output ÷ input tokens is the published 168 ÷ 608.</summary>
    public static readonly double MeanOutput = MeanPrompt * OutputPerDay / InputPerDay;

    /// <summary>Day-average request rate: input tokens per second ÷ mean prompt.</summary>
    public static readonly double DayRate = InputPerDay / 86_400 / MeanPrompt;

    private const double TtftMs = 5000, TpotMs = 50, Attainment = 0.9;

    /// <summary>Seconds of arrivals per run (<c>--seconds N</c>; 240 by default).</summary>
    private static double ArrivalSeconds = 240;

    /// <summary>
    /// One configuration: the candidate accelerator (and the decode pool's own, Splitwise's heterogeneous case), the
    /// pools' data-parallel ranks (experts over all of them), the prefill:decode groups of a unit, the template
    /// deployment's settings, and a first guess at a unit's rate.
    /// </summary>
    private sealed record Config(string Accelerator, string DecodeAccelerator, int Tp, int PrefillDp, int DecodeDp,
        int Prefill, int Decode, string Template, double Guess)
    {
        public int UnitAccelerators => Tp * (Prefill * PrefillDp + Decode * DecodeDp);
        public string Pools =>
            $"TP{Tp}, prefill DP{PrefillDp} EP{Tp * PrefillDp}, decode DP{DecodeDp} EP{Tp * DecodeDp}";
    }

    // H800: DeepEP holds 20 of the 132 SMs (DeepSeek-V3 report s3.2.2); FP8 weights (the preset's default).
    private const string H800Template = "\"communicationSms\":20,";

    /// <summary>The configurations planned, each with the prefill groups per decode group tried (the cheapest wins).
    /// </summary>
    private static readonly (Config Unit, (int P, int D)[] Ratios)[] Configs =
    [
        (new("h800", "", 1, 32, 144, 0, 0, H800Template, 180), [(3, 1), (4, 1), (5, 1)]),
        (new("h800", "h20", 1, 32, 144, 0, 0, "", 40), [(1, 2), (1, 3)]),
        (new("h20", "", 1, 32, 144, 0, 0, "", 20), [(4, 1)]),
        (new("h20", "", 8, 4, 18, 0, 0, "", 20), [(1, 1), (2, 1)]),
        // No FP8 on the 910B: BF16 weights.
        (new("ascend-910b", "", 8, 8, 18, 0, 0, "\"weightDtype\":\"DTYPE_BF16\",", 20), [(1, 1), (2, 1)]),
    ];


    private const string Template =
        """
        {"model":{"preset":"deepseek-v3"},"deployment":{@TEMPLATE"router":"ROUTER_POLICY_LEAST_OUTSTANDING"},
        "timeModel":{"emulator":{"overlapCommunication":true}},"workload":{"synthetic":{"arrival":"ARRIVAL_POISSON",
        "ratePerSecond":@DAYRATE,"durationSeconds":@SECONDS,"seed":6,
        "promptTokens":{"lognormal":{"mean":@PROMPT,"sigma":0.6},"max":32768},
        "outputTokens":{"lognormal":{"mean":@OUTPUT,"sigma":0.6},"max":8192},
        "prefixSharing":{"groups":16,"sharedFraction":0.7}}},"targetRequestsPerSecond":@RATE,
        "slo":{"ttftMs":@TTFT,"tpotMs":@TPOT},"sloAttainment":@ATTAINMENT,
        "candidates":{"accelerators":["@ACC"],"tensorParallel":[@TP],"expertParallel":[@PDP],
        "disaggregation":[{"prefill":@P,"decode":@D,"decodeAccelerator":"@DACC",
        "prefillDataParallel":@PDP,"decodeDataParallel":@DDP}]},"maxAccelerators":@MAX}
        """;

    /// <summary>`--served`: the time model DeepSeek serves with, as in `inference deepseek`: two-batch overlap and MTP
    /// (one draft token, acceptance <see cref="DeepSeekValidation.Acceptance"/>). Off: ideal overlap, no MTP.
    /// </summary>
    private static bool _served;

    private static string Request(Config c, double rate) =>
        DeepSeekValidation.ServedTimeModel(Template, _served, _served ? DeepSeekValidation.Acceptance : 0)
        .Replace("@TEMPLATE", c.Template).Replace("@DAYRATE", F(DayRate)).Replace("@SECONDS", F(ArrivalSeconds))
        .Replace("@PROMPT", F(MeanPrompt)).Replace("@OUTPUT", F(MeanOutput)).Replace("@RATE", F(rate))
        .Replace("@TTFT", F(TtftMs)).Replace("@TPOT", F(TpotMs)).Replace("@TP", F(c.Tp))
        .Replace("@ATTAINMENT", F(Attainment))
        .Replace("@DACC", c.DecodeAccelerator).Replace("@ACC", c.Accelerator).Replace("@PDP", F(c.PrefillDp))
        .Replace("@DDP", F(c.DecodeDp)).Replace("@MAX", F(c.UnitAccelerators)).Replace("@P", F(c.Prefill))
        .Replace("@D", F(c.Decode));


    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public static async Task<int> Run(CapacityPlanner planner, SimulationPlanner simulations,
        IReadOnlyList<string> args)
    {
        // [config ...] [--seconds N] [--ratio P:D]: some configurations, longer runs, one ratio
        var only = new List<string>();
        string ratio = "";
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--seconds" && i + 1 < args.Count
                && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out double s) && s is > 0 and <= 3600)
                (ArrivalSeconds, i) = (s, i + 1);
            else if (args[i] == "--ratio" && i + 1 < args.Count) ratio = args[++i];
            else if (args[i] == "--served") _served = true;
            else if (Configs.Any(c => Key(c.Unit) == args[i])) only.Add(args[i]);
            else
            {
                Console.Error.WriteLine("usage: inference deepseek-plan [h800|h800+h20|h20|ascend-910b ...] " +
                                        "[--seconds 1-3600] [--ratio P:D] [--served]");
                return 2;
            }
        }
        Console.WriteLine("# inference: DeepSeek-V3/R1 day-6 load planned with PlanCapacity " +
                          "(published: 226.75 H800 nodes of 8)");
        Console.WriteLine($"load: {InputPerDay:G3} input + {OutputPerDay:G3} output tokens/day = " +
                          $"{InputPerDay / 86_400 / 1e6:F2}M input + {OutputPerDay / 86_400 / 1e6:F2}M output " +
                          $"tokens/s; prompts lognormal mean {MeanPrompt:F0} -> {DayRate:F1} requests/s, " +
                          $"outputs lognormal mean {MeanOutput:F0} (= {MeanPrompt:F0} x 168/608)");
        Console.WriteLine(_served
            ? $"time model: two-batch overlap, MTP (1 draft token, acceptance {DeepSeekValidation.Acceptance})"
            : "time model: ideal overlap, no MTP (--served: two-batch overlap with MTP, as `inference deepseek`)");
        Console.WriteLine($"SLOs: TTFT <= {TtftMs:F0} ms, TPOT <= {TpotMs:F0} ms, attainment {Attainment}; " +
                          $"each plan is one prefill:decode unit (max_accelerators = its accelerators), " +
                          $"arrivals over {ArrivalSeconds:F0} s at the unit's rate");
        foreach (var (c, ratios) in Configs.Where(c => only.Count == 0 || only.Contains(Key(c.Unit))))
        {
            var tried = ratios.Where(r => ratio.Length == 0 || ratio == $"{r.P}:{r.D}").ToArray();
            if (tried.Length > 0) await Plan(planner, simulations, c, tried);
        }
        return 0; // a report, not a gate: a configuration that meets the SLOs at no rate is a finding
    }

    private static string Key(Config c) =>
        c.DecodeAccelerator.Length > 0 ? $"{c.Accelerator}+{c.DecodeAccelerator}" : c.Accelerator;

    /// <summary>A unit's highest rate within the SLOs (<see cref="Lo"/>; <see cref="Hi"/> misses) and its option.
    /// </summary>
    private sealed record UnitRate(Config Unit, double Lo, double Hi, CapacityOption Option)
    {
        public double Units => DayRate / Lo;
        public double Nodes => Units * Unit.UnitAccelerators / 8;
        public double PerHour => Units * Option.CostPerHourUsd;
    }

    /// <summary>Plans every prefill:decode ratio of the configuration; reports the cheapest for the day's load.
    /// </summary>
    private static async Task Plan(CapacityPlanner planner, SimulationPlanner simulations, Config config,
        (int P, int D)[] ratios)
    {
        var sw = Stopwatch.StartNew();
        var rates = new List<UnitRate>();
        foreach (var (p, d) in ratios)
        {
            var c = config with
            {
                Prefill = p,
                Decode = d,
                Guess = config.Guess * (p + d) / (ratios[0].P + ratios[0].D),
            };
            Console.WriteLine($"{Key(c)}: unit P:D {c.Prefill}:{c.Decode} ({c.Pools}), " +
                              $"{c.UnitAccelerators} accelerators = " +
                              $"{c.UnitAccelerators / 8.0:F0} nodes of 8");
            if (await Bisect(planner, c) is not { } r) continue;
            rates.Add(r);
            await Steps(simulations, c, r);
            int whole = (int)Math.Ceiling(r.Units - 1e-9);
            Console.WriteLine($"  => one unit serves {r.Lo:F1} req/s (misses at {r.Hi:F1}); the day's " +
                              $"{DayRate:F1} req/s need {r.Units:F2} units = {r.Nodes:F1} nodes " +
                              $"({whole} whole units = {whole * c.UnitAccelerators / 8.0:F0} nodes), " +
                              $"${r.PerHour:N0}/h");
        }
        if (rates.Count == 0)
        {
            Console.WriteLine($"{Key(config)}: no unit met the SLOs at any rate tried " +
                              $"[{sw.Elapsed.TotalSeconds:F0} s]");
            return;
        }
        var best = rates.MinBy(r => r.PerHour)!;
        double perMillion = best.PerHour / (OutputPerDay / 86_400 * 3600 / 1e6);
        bool published = config.Accelerator == "h800" && config.DecodeAccelerator.Length == 0;
        Console.WriteLine($"{Key(config)} cheapest: {best.Option.Layout}: {best.Nodes:F1} nodes " +
                          $"({best.Units * best.Unit.UnitAccelerators:F0} accelerators)" +
                          (published
                              ? $", published {PublishedNodes} nodes: {best.Nodes / PublishedNodes - 1:+0.0%;-0.0%}"
                              : "") +
                          $"; ${best.PerHour:N0}/h = ${best.PerHour * 24:N0}/day, ${perMillion:F3} per million " +
                          $"output tokens (published H800: ${PublishedCostPerDay:N0}/day = " +
                          $"${PublishedCostPerDay / (OutputPerDay / 1e6):F3}/M) [{sw.Elapsed.TotalSeconds:F0} s]");
    }

    /// <summary>
    /// Where the pools' step times go at the unit's highest rate (the profile the plan's simulations use): a prefill
    /// step of one 5k prompt's 8,192-token budget, and a decode step at the mean sequences per decode instance
    /// (Little's law: rate × mean output × TPOT p50 ÷ instances).
    /// </summary>
    private static async Task Steps(SimulationPlanner simulations, Config c, UnitRate r)
    {
        var req = JsonParser.Default.Parse<PlanCapacityRequest>(Request(c, r.Lo));
        var plan = await simulations.PlanAsync(new SimulateWorkloadRequest
        {
            Model = req.Model, Deployment = r.Option.Deployment, Workload = req.Workload, Slo = req.Slo,
            TimeModel = req.TimeModel,
        }, null, CancellationToken.None);
        if (plan.Setup.Prefill.Time is ProfiledStepTimeModel p)
            Console.WriteLine($"  [prefill step of 8192 tokens: layer ops {p.Linear.At(8192) * 1e3:F0} ms, " +
                              $"all-to-all {p.Communication.At(8192) * 1e3:F0} ms]");
        if (plan.Setup.Decode?.Time is ProfiledStepTimeModel d)
        {
            double seqs = r.Lo * MeanOutput * r.Option.TpotP50Ms / 1e3 / (c.Decode * c.DecodeDp);
            int n = Math.Max(1, (int)Math.Round(seqs));
            double context = MeanPrompt + MeanOutput / 2;
            Console.WriteLine($"  [decode step of {n} sequences per instance: layer ops {d.Linear.At(n) * 1e3:F1} " +
                              $"ms, all-to-all {d.Communication.At(n) * 1e3:F1} ms, attention over {n} x " +
                              $"{context:F0} context {d.DecodeAttention.At(n * context) * 1e3:F1} ms, " +
                              $"overhead {d.OverheadSeconds * 1e3:F1} ms]");
        }
    }

    /// <summary>
    /// Brackets one unit's highest rate by factors of 1.5 from the guess, then bisects (geometrically) to within 4%.
    /// </summary>
    private static async Task<UnitRate?> Bisect(CapacityPlanner planner, Config c)
    {
        double lo = 0, hi = 0, rate = c.Guess;
        CapacityOption? best = null;
        for (int i = 0; i < 12 && (lo == 0 || hi == 0 || hi / lo > 1.04); i++)
        {
            var (option, note) = await Probe(planner, c, rate);
            if (option is not null) { lo = rate; best = option; }
            else hi = rate;
            Console.WriteLine($"  one unit at {rate:F1} req/s: {note}");
            rate = lo == 0 ? rate / 1.5 : hi == 0 ? rate * 1.5 : Math.Sqrt(lo * hi);
        }
        return best is null || hi == 0 ? null : new UnitRate(c, lo, hi, best);
    }

    private static async Task<(CapacityOption? Option, string Note)> Probe(CapacityPlanner planner, Config c,
        double rate)
    {
        var sw = Stopwatch.StartNew();
        var plan = await planner.PlanAsync(JsonParser.Default.Parse<PlanCapacityRequest>(Request(c, rate)),
            CancellationToken.None);
        string took = $" [{plan.Simulations} simulations, {sw.Elapsed.TotalSeconds:F0} s]";
        if (plan.Options.Count > 0)
        {
            var o = plan.Options[0];
            return (o, $"meets: attainment {o.SloAttainment:0.###}, TTFT p50/p99 {o.TtftP50Ms:F0}/{o.TtftP99Ms:F0} " +
                       $"ms, TPOT p50/p99 {o.TpotP50Ms:F1}/{o.TpotP99Ms:F1} ms{took}");
        }
        // The closest option is the unit's run at the rate: which SLO it misses.
        var m = plan.Closest;
        return (null, m is null
            ? $"misses: {(plan.Rejected.Count > 0 ? plan.Rejected[0].Detail : "no option")}{took}"
            : $"misses: attainment {m.SloAttainment:0.###}, TTFT p50/p99 {m.TtftP50Ms:F0}/{m.TtftP99Ms:F0} ms, " +
              $"TPOT p50/p99 {m.TpotP50Ms:F1}/{m.TpotP99Ms:F1} ms{took}");
    }
}
