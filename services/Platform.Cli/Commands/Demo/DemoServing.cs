using Platform.Cli.Charts;
using Platform.Cli.Commands.Infer;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Inference.V1;
using static Platform.Cli.Commands.Demo.Report;

namespace Platform.Cli.Commands.Demo;

public sealed partial class DemoCommand
{
    private const double TargetRate = 4, TtftSlo = 2000, TpotSlo = 100;

    private static Workload ServingWorkload(double rate, int requests) => new()
    {
        Synthetic = new SyntheticWorkload
        {
            Arrival = Arrival.Poisson, RatePerSecond = rate, Requests = requests, Seed = 7,
            PromptTokens = new LengthDistribution { Fixed = 1000 },
            OutputTokens = new LengthDistribution { Fixed = 300 },
        },
    };

    private static PlanCapacityRequest Plan(string[] chips, Dtype weights, int[] pp, int requests, int max = 64)
    {
        var req = new PlanCapacityRequest
        {
            Model = new ModelSpec { Preset = "deepseek-v3" }, Workload = ServingWorkload(TargetRate, requests),
            TargetRequestsPerSecond = TargetRate, Slo = new Slo { TtftMs = TtftSlo, TpotMs = TpotSlo },
            SloAttainment = 0.9, MaxAccelerators = max, Candidates = new CapacityCandidates(),
            Deployment = new Deployment { WeightDtype = weights },
        };
        req.Candidates.Accelerators.AddRange(chips);
        req.Candidates.TensorParallel.Add(8);
        req.Candidates.PipelineParallel.AddRange(pp);
        return req;
    }

    private async Task ServingAsync(Connection c, Report report, bool quick, CancellationToken ct)
    {
        var client = new InferenceSchedulerService.InferenceSchedulerServiceClient(c.Invoker);
        int requests = quick ? 120 : 300;
        var fp8 = await client.PlanCapacityAsync(Plan(["h800", "h20"], Dtype.Fp8E4M3, [1, 2], requests), c.Options(ct));
        var bf16 = await client.PlanCapacityAsync(Plan(["ascend-910b"], Dtype.Bf16, [4], requests, 160), c.Options(ct));
        var options = fp8.Options.Concat(bf16.Options).OrderBy(o => o.CostPerMillionOutputTokensUsd).ToList();
        var best = fp8.BestPerAccelerator.Concat(bf16.BestPerAccelerator)
            .OrderBy(o => o.CostPerMillionOutputTokensUsd).ToList();
        report.Heading("3. Serving DeepSeek-R1 / V3: H800 vs H20 vs Ascend 910B");
        report.Para($"DeepSeek-R1 has DeepSeek-V3's architecture, so the `deepseek-v3` preset serves for both. Load: " +
            $"{TargetRate} requests/s (Poisson), 1,000 prompt and 300 output tokens each; SLOs: TTFT ≤ " +
                $"{TtftSlo} ms and " +
            $"TPOT ≤ {TpotSlo} ms for 90 % of requests. Candidates: TP8 replicas, FP8 weights on H800 and H20, " +
                $"BF16 on " +
            "Ascend 910B (no FP8: its BF16 weights need four pipeline stages of 8 to fit), up to 160 accelerators; " +
            "replicas added until the SLOs hold.");
        report.Table(["cheapest per accelerator", " accelerators", " $/hour", " $ per M output tokens", " TTFT p99 ms",
                " TPOT p99 ms", " SLO attainment"],
            best.Select(o => new[] { o.Layout, F(o.AcceleratorCount), F(o.CostPerHourUsd, "0.00"),
                F(o.CostPerMillionOutputTokensUsd, "0.00"), F(o.TtftP99Ms), F(o.TpotP99Ms, "0.0"),
                F(o.SloAttainment * 100, "0.0") + " %" }));
        var missing = new[] { "h800", "h20", "ascend-910b" }.Where(a => best.All(o => o.Deployment.Accelerator != a));
        foreach (string m in missing)
        {
            var why = fp8.Rejected.Concat(bf16.Rejected).FirstOrDefault(r => r.Deployment.Accelerator == m);
            report.Para($"No {m} layout met the SLOs{(why is null ? "" : $": {why.Layout} — {why.Detail}")}.");
        }
        report.Source("modelled — InferenceSchedulerService.PlanCapacity (every option verified by simulation; " +
            $"{fp8.Simulations + bf16.Simulations} simulations in {fp8.WallSeconds + bf16.WallSeconds:0.0} s); " +
                $"prices " +
            "are the catalog's mid prices per accelerator-hour.");
        report.Command($"platform infer plan --devices h800,h20 --weight-dtype fp8-e4m3 --tp 8 --pp 1,2 --rate " +
            $"{TargetRate} " +
            $"--requests {requests} --ttft-slo {TtftSlo} --tpot-slo {TpotSlo} --chart capacity.svg --job\n" +
            $"platform infer plan --devices ascend-910b --weight-dtype bf16 --tp 8 --pp 4 --max-accelerators 160 " +
            $"--rate {TargetRate} --requests {requests} --ttft-slo {TtftSlo} --tpot-slo {TpotSlo}");
        report.Chart(ServingCharts.CapacityCost([.. options.Select(o => new CapacityBar(o.Layout, o.CostPerHourUsd,
                o.CostPerMillionOutputTokensUsd, o.AcceleratorCount, o.MeetsSlo))],
                $"DeepSeek-V3 at {TargetRate} req/s: cost per million output tokens of each option"), "capacity",
            "Every deployment meeting the SLOs, cheapest first (label: accelerators).");
        if (best.Count == 0) return;

        double[] rates = quick ? [1, 4, 8] : [1, 2, 4, 6, 8];
        var series = new List<LoadSeries>();
        SimulateWorkloadResponse? timeline = null;
        var cdfs = new List<LatencySamples>();
        foreach (var o in best)
        {
            var points = new List<LoadPoint>();
            foreach (double rate in rates)
            {
                var request = new SimulateWorkloadRequest
                {
                    Model = new ModelSpec { Preset = "deepseek-v3" }, Deployment = o.Deployment,
                    Workload = ServingWorkload(rate, requests), Slo = new Slo { TtftMs = TtftSlo, TpotMs = TpotSlo },
                };
                SimulateWorkloadResponse r;
                // The cheapest deployment's runs stream every request's latencies, for the CDF chart.
                if (o == best[0])
                {
                    (r, var run) = await SimulationStream.RunAsync(c, request, $"{rate:0.##} req/s", ct);
                    cdfs.Add(run);
                }
                else r = await client.SimulateWorkloadAsync(request, c.Options(ct));
                points.Add(SimulateCommand.Point(rate, r));
                if (rate == TargetRate && o == best[0]) timeline = r;
            }
            series.Add(new LoadSeries($"{o.Layout} x{o.Deployment.Replicas}", points));
        }
        report.Para("The cheapest deployment of each accelerator under rising load (same replicas):");
        report.Chart(ServingCharts.GoodputVsRate(series, "Goodput against offered load (SLO: TTFT 2 s, TPOT 100 ms)"),
            "goodput", "Requests per second meeting both SLOs; the grey line is the offered load (modelled).");
        report.Chart(ServingCharts.LatencyVsLoad(series[0].Points,
            $"{series[0].Name}: latency percentiles against load",
                TtftSlo, TpotSlo), "latency",
            "TTFT and TPOT p50/p99 of the cheapest deployment against the offered load (modelled).");
        report.Chart(ServingCharts.LatencyCdf(cdfs, $"{series[0].Name}: TTFT and TPOT CDFs at each load", TtftSlo,
                TpotSlo), "latency-cdf",
            "Share of requests at or under each TTFT (solid) and TPOT (dashed) latency, per offered load, for the " +
            "cheapest deployment; dotted lines: the SLOs (modelled, every request's result).");
        report.Source("modelled — InferenceSchedulerService.SimulateWorkload at each rate (StreamSimulation, which " +
            "also sends every request's result, for the cheapest deployment).");
        report.Command($"platform infer simulate --device {best[0].Deployment.Accelerator} --tp 8 " +
            $"--pp {Math.Max(1, best[0].Deployment.PipelineParallel)} --replicas {best[0].Deployment.Replicas} " +
            $"--weight-dtype {Parse.Short(best[0].Deployment.WeightDtype)} --rates {string.Join(",", rates)} " +
            $"--requests {requests} --ttft-slo {TtftSlo} --tpot-slo {TpotSlo} --chart latency.svg " +
            "--goodput-chart goodput.svg --cdf-chart latency-cdf.svg");
        if (timeline is not null)
            report.Chart(ServingCharts.Timeline(SimulateCommand.Timeline(timeline),
                    $"{series[0].Name} at {TargetRate} req/s: queue, running requests, KV cache"), "timeline",
                "Serving timeline at the target load (modelled).");
    }
}
