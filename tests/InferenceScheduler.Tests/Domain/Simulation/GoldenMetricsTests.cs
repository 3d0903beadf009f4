using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using InferenceScheduler.Domain.Metrics;
using InferenceScheduler.Domain.Simulation;

namespace InferenceScheduler.Tests.Domain.Simulation;

/// <summary>
/// Pins every metric of <see cref="SimulationResult"/> (and a digest of the per-request outcomes) for the runs of
/// <see cref="GoldenScenarios"/> against <c>golden-metrics.json</c>, to 1e-9 relative: restructuring the simulator must
/// not move a number. When numbers change on purpose, regenerate the file from the source tree and review its diff:
/// <code>
/// UPDATE_GOLDEN=1 dotnet test tests/InferenceScheduler.Tests -c Release --filter FullyQualifiedName~GoldenMetricsTests
/// </code>
/// </summary>
public sealed class GoldenMetricsTests
{
    private const string FileName = "golden-metrics.json";
    private const double RelativeTolerance = 1e-9, AbsoluteTolerance = 1e-12;
    private static readonly object FileLock = new();

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static bool Updating => Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1";

    public static TheoryData<string> ScenarioNames()
    {
        var data = new TheoryData<string>();
        foreach (var s in GoldenScenarios.All) data.Add(s.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void Every_metric_matches_the_golden_file(string scenario)
    {
        var actual = Measure(GoldenScenarios.All.Single(s => s.Name == scenario));
        if (Updating)
        {
            Update(scenario, actual);
            return;
        }
        var golden = Load()[scenario]?.AsObject() ?? throw new Xunit.Sdk.XunitException(
            $"{scenario} is missing from {FileName}; regenerate with UPDATE_GOLDEN=1");
        var expected = golden.ToDictionary(p => p.Key, p => p.Value!.GetValue<double>());
        var problems = new List<string>();
        foreach (var (name, value) in expected)
        {
            if (!actual.TryGetValue(name, out double got))
            {
                problems.Add($"{name}: missing (golden {value:R})");
                continue;
            }
            if (!Close(value, got)) problems.Add($"{name}: golden {value:R}, now {got:R}");
        }
        foreach (var name in actual.Keys.Where(k => !expected.ContainsKey(k)))
            problems.Add($"{name}: not in the golden file");
        Assert.True(problems.Count == 0, $"{scenario}: {problems.Count} of {expected.Count} metrics differ\n"
            + string.Join("\n", problems.Take(40)));
    }

    [Fact]
    public void Golden_file_holds_exactly_the_scenarios()
    {
        if (Updating) return;
        Assert.Equal(GoldenScenarios.All.Select(s => s.Name).Order(), Load().Select(p => p.Key).Order());
    }

    private static bool Close(double expected, double actual) =>
        expected.Equals(actual)
        || Math.Abs(expected - actual)
            <= AbsoluteTolerance + RelativeTolerance * Math.Max(Math.Abs(expected), Math.Abs(actual));

    private static Dictionary<string, double> Measure(GoldenScenarios.Scenario scenario)
    {
        var outcomes = new List<RequestOutcome>();
        var r = new Simulator(scenario.Setup()).Run(scenario.Workload(), outcomes.Add);
        var m = new Dictionary<string, double>();
        void Add(string name, double value) => m.Add(name, value);
        void Distribution(string name, DistributionSummary d)
        {
            Add($"{name}.mean", d.Mean); Add($"{name}.p50", d.P50); Add($"{name}.p90", d.P90);
            Add($"{name}.p99", d.P99);
            Add($"{name}.min", d.Min); Add($"{name}.max", d.Max); Add($"{name}.count", d.Count);
        }
        Add("completed_requests", r.CompletedRequests);
        Add("simulated_seconds", r.SimulatedSeconds);
        Add("input_tokens", r.InputTokens);
        Add("output_tokens", r.OutputTokens);
        Add("cached_tokens", r.CachedTokens);
        Distribution("ttft_ms", r.TtftMs);
        Distribution("tpot_ms", r.TpotMs);
        Distribution("itl_ms", r.ItlMs);
        Distribution("e2e_ms", r.E2eMs);
        Distribution("scheduling_delay_ms", r.SchedulingDelayMs);
        Add("met_slo", r.MetSlo);
        Add("preemptions", r.Preemptions);
        Add("recomputed_tokens", r.RecomputedTokens);
        Add("steps", r.Steps);
        Add("mean_requests_in_system", r.MeanRequestsInSystem);
        Add("mean_kv_utilization", r.MeanKvUtilization);
        Add("peak_kv_utilization", r.PeakKvUtilization);
        Add("mean_accelerator_utilization", r.MeanAcceleratorUtilization);
        Add("accelerator_hours", r.AcceleratorHours);
        Add("total_usd", r.TotalUsd);
        Add("input_usd", r.InputUsd);
        Add("output_usd", r.OutputUsd);
        Add("request_throughput", r.RequestThroughput);
        Add("input_token_throughput", r.InputTokenThroughput);
        Add("output_token_throughput", r.OutputTokenThroughput);
        Add("goodput", r.Goodput);
        Add("slo_attainment", r.SloAttainment);
        Add("prefix_hit_rate", r.PrefixHitRate);
        // The timeline (a hundred-odd buckets) is folded into per-field sums, position-weighted sums and maxima: any
        // moved sample moves them, and the file stays reviewable.
        Add("timeline.count", r.Timeline.Count);
        Timeline("start_seconds", t => t.StartSeconds);
        Timeline("kv_cache_utilization", t => t.KvCacheUtilization);
        Timeline("accelerator_utilization", t => t.AcceleratorUtilization);
        Timeline("running", t => t.Running);
        Timeline("waiting", t => t.Waiting);
        void Timeline(string name, Func<TimelineSample, double> field)
        {
            double sum = 0, weighted = 0, max = double.NegativeInfinity;
            for (int i = 0; i < r.Timeline.Count; i++)
            {
                double v = field(r.Timeline[i]);
                sum += v; weighted += (i + 1.0) * v; max = Math.Max(max, v);
            }
            Add($"timeline.{name}.sum", sum); Add($"timeline.{name}.weighted_sum", weighted);
            Add($"timeline.{name}.max", max);
        }
        Add("pools.count", r.Pools.Count);
        foreach (var pool in r.Pools)
        {
            string p = $"pool.{pool.Name}";
            Add($"{p}.instances", pool.Instances); Add($"{p}.accelerators", pool.Accelerators);
            Add($"{p}.kv_tokens_per_instance", pool.KvTokensPerInstance);
            Add($"{p}.weight_bytes_per_accelerator", pool.WeightBytesPerAccelerator);
            Add($"{p}.busy_fraction", pool.BusyFraction); Add($"{p}.mean_kv_utilization", pool.MeanKvUtilization);
            Add($"{p}.input_tokens_per_second_per_node", pool.InputTokensPerSecondPerNode);
            Add($"{p}.output_tokens_per_second_per_node", pool.OutputTokensPerSecondPerNode);
            Add($"{p}.prefill_busy_share", pool.PrefillBusyShare);
            Add($"{p}.window_input_tokens_per_second_per_node", pool.WindowInputTokensPerSecondPerNode);
            Add($"{p}.window_output_tokens_per_second_per_node", pool.WindowOutputTokensPerSecondPerNode);
        }
        // Per-request outcomes: completion order, placement and every field, folded into sums that move if any one
        // moves.
        double order = 0, instance = 0, ttft = 0, tpot = 0, e2e = 0, delay = 0, cached = 0, preempted = 0, met = 0;
        for (int k = 0; k < outcomes.Count; k++)
        {
            var o = outcomes[k];
            order += (k + 1.0) * (o.Index + 1);
            instance += (o.Index + 1.0) * (o.Instance + 1);
            ttft += o.TtftSeconds; tpot += o.TpotSeconds; e2e += o.E2eSeconds; delay += o.SchedulingDelaySeconds;
            cached += o.CachedTokens; preempted += (o.Index + 1.0) * o.Preemptions; met += o.MetSlo ? o.Index + 1.0 : 0;
        }
        Add("outcomes.count", outcomes.Count);
        Add("outcomes.completion_order", order);
        Add("outcomes.instance", instance);
        Add("outcomes.ttft_seconds_sum", ttft);
        Add("outcomes.tpot_seconds_sum", tpot);
        Add("outcomes.e2e_seconds_sum", e2e);
        Add("outcomes.scheduling_delay_seconds_sum", delay);
        Add("outcomes.cached_tokens", cached);
        Add("outcomes.preemptions", preempted);
        Add("outcomes.met_slo", met);
        return m;
    }

    private static JsonObject Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Domain", "Simulation", FileName);
        return JsonNode.Parse(File.ReadAllText(path),
            documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false })!.AsObject();
    }

    /// <summary>
    /// Rewrites this scenario's entry of the file in the source tree (scenarios kept in declaration order).
    /// </summary>
    private static void Update(string scenario, Dictionary<string, double> metrics)
    {
        lock (FileLock)
        {
            string path = SourcePath();
            var existing = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : new JsonObject();
            var root = new JsonObject();
            foreach (var name in GoldenScenarios.All.Select(s => s.Name))
            {
                if (name == scenario)
                {
                    var entry = new JsonObject();
                    foreach (var (k, v) in metrics) entry[k] = JsonValue.Create(v);
                    root[name] = entry;
                }
                else if (existing[name] is { } kept) root[name] = kept.DeepClone();
            }
            File.WriteAllText(path, root.ToJsonString(Json) + "\n");
        }
    }

    private static string SourcePath([CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, FileName);
}
