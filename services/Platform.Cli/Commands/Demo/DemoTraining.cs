using Google.Protobuf;
using Platform.Cli.Charts;
using Platform.Cli.Commands.Train;
using Platform.Cli.Infrastructure;
using Platform.Contracts.Common.V1;
using Platform.Contracts.Training.V1;
using static Platform.Cli.Commands.Demo.Report;

namespace Platform.Cli.Commands.Demo;

public sealed partial class DemoCommand
{
    private const string Run = "--model deepseek-v3 --tokens 14.8T --seq 4096 --device h800 --count 2048 " +
        "--precision fp8 --price 2";

    /// <summary>DeepSeek-V3's published layout (PP16 DualPipe x EP64, ZeRO-1, batch 15,360 x 4,096).</summary>
    private static TrainingRunSpec DeepSeekRun(bool publishedLayout) => new()
    {
        Model = new ModelSpec { Preset = "deepseek-v3" },
        TrainingTokens = (long)Published.Tokens,
        SequenceLength = (long)Published.SequenceLength,
        Cluster = new Cluster { Accelerator = "h800", Count = (long)Published.Gpus },
        Precision = Precision.Fp8,
        PricePerAcceleratorHourUsd = Published.PricePerHour,
        GlobalBatchTokens = publishedLayout ? (long)(Published.GlobalBatchSequences * Published.SequenceLength) : 0,
        Parallelism = publishedLayout
            ? new ParallelismPlan
            {
                TensorParallel = 1, PipelineParallel = 16, ExpertParallel = 64, ZeroStage = 1,
                PipelineSchedule = PipelineSchedule.DualPipe, Recompute = RecomputeMode.Selective,
                MicroBatchSize = 1, Bf16OptimizerMoments = true,
            }
            : null,
    };

    private static TrainingEstimate AsEstimate(EstimateTrainingRunResponse r) =>
        TrainingEstimate.Parser.ParseFrom(r.ToByteString());

    private async Task TrainingAsync(Connection c, Report report, CancellationToken ct)
    {
        var client = new TrainingCostService.TrainingCostServiceClient(c.Invoker);
        var pub = AsEstimate(await client.EstimateTrainingRunAsync(
            new EstimateTrainingRunRequest { Run = DeepSeekRun(true) }, c.Options(ct)));
        var best = AsEstimate(await client.EstimateTrainingRunAsync(
            new EstimateTrainingRunRequest { Run = DeepSeekRun(false) }, c.Options(ct)));
        report.Heading("1. DeepSeek-V3 pre-training on 2,048 H800");
        report.Para("14.8T tokens at sequence length 4,096, FP8 GEMMs, $2 per H800-hour (DeepSeek's own assumption). " +
            "*Published*: DeepSeek report 2.664M H800-hours for pre-training, 2.788M in all (with 119K for context " +
            "extension and 5K for post-training), $5.576M in all at $2/h.");
        report.Table(["figure", " published", " modelled (published layout)", " error", " modelled (planner's best)"],
        [
            ["pre-training H800-hours", F(Published.PreTrainingHours), F(pub.AcceleratorHours),
                Pct(pub.AcceleratorHours / Published.PreTrainingHours - 1), F(best.AcceleratorHours)],
            ["pre-training cost", M(Published.PreTrainingCostUsd), M(pub.CostUsd),
                Pct(pub.CostUsd / Published.PreTrainingCostUsd - 1), M(best.CostUsd)],
            ["whole run H800-hours (pre + ctx-ext + post)", F(Published.TotalHours), "-", "-", "-"],
            ["whole run cost", M(Published.TotalCostUsd), "-", "-", "-"],
            ["step MFU (model FLOPs, BF16 peak)", Report.F(Published.ReportedMfu * 100, "0.0") + " %",
                F(pub.ModelFlopsUtilization * 100, "0.0") + " %", "", F(best.ModelFlopsUtilization * 100,
                    "0.0") + " %"],
            ["wall-clock days", "< 60 (\"less than two months\")", F(pub.WallClockDays, "0.0"), "",
                F(best.WallClockDays, "0.0")],
            ["energy (MWh)", "-", F(pub.EnergyMwh), "", F(best.EnergyMwh)],
        ]);
        report.Para($"Published layout: {Plans.Describe(pub.Plan)}; planner's best: {Plans.Describe(best.Plan)} " +
            $"({best.StepTimeSeconds:0.00} s steps of {best.Step?.GlobalBatchSequences:N0} sequences).");
        report.Source($"published — {Published.DeepSeekV3Report}; MFU — {Published.MfuSource}. Modelled — " +
            "TrainingCostService.EstimateTrainingRun (the published layout given as `parallelism`; without it the " +
            "service searches plans).");
        report.Command($"platform train estimate {Run} --pp 16 --ep 64 --zero 1 --schedule dual-pipe " +
            "--recompute selective --bf16-moments --global-batch-tokens 62914560 --chart step.svg\n" +
            $"platform train estimate {Run}");
        report.Chart(TrainingCharts.Breakdown(EstimateCommand.StepParts(pub),
                $"DeepSeek-V3 on 2,048 H800, published layout: one {pub.StepTimeSeconds:0.00} s step",
                "seconds per optimizer step"), "training-step",
            "Where one optimizer step's time goes (modelled, published layout).");
        var trendRequest = new ProjectCostRequest { CostUsd = Published.TotalCostUsd, Years = 5 };
        var trend = await client.ProjectCostAsync(trendRequest, c.Options(ct));
        report.Para($"What the same capability costs in coming years, from the published $5.576M: " +
            $"-{trend.AnnualDecline:P0} a year (hardware price-performance doubling every 2.46 years, compute for a " +
            "fixed capability halving every 8 months).");
        report.Source("modelled — TrainingCostService.ProjectCost (Epoch AI hardware trend; Ho et al. 2024).");
        report.Command("platform train trend --cost 5576000 --years 5 --chart cost-trend.svg");
        report.Chart(TrainingCharts.CostTrend(TrendCommand.Points(trend),
            "DeepSeek-V3-class capability: projected cost"),
            "cost-trend", "Cost of the same capability over the next five years (modelled).");
    }

    private async Task ChipsAsync(Connection c, Report report, CancellationToken ct)
    {
        var client = new TrainingCostService.TrainingCostServiceClient(c.Invoker);
        var fp8 = new CompareAcceleratorsRequest { Run = DeepSeekRun(false) };
        fp8.Accelerators.AddRange(["h800", "h100-sxm", "h20", "b200", "mi300x"]);
        var bf16 = new CompareAcceleratorsRequest { Run = DeepSeekRun(false) };
        bf16.Run.Precision = Precision.Bf16;
        bf16.Run.PricePerAcceleratorHourUsd = 0;
        bf16.Accelerators.Add("ascend-910b");
        var a = await client.CompareAcceleratorsAsync(fp8, c.Options(ct));
        // Other chips at their own catalog mid price (DeepSeek's $2 is an H800 figure).
        fp8.Run.PricePerAcceleratorHourUsd = 0;
        fp8.Accelerators.Remove("h800");
        var others = await client.CompareAcceleratorsAsync(fp8, c.Options(ct));
        var b = await client.CompareAcceleratorsAsync(bf16, c.Options(ct));
        var all = new CompareAcceleratorsResponse();
        all.Results.Add(a.Results.Where(r => r.Accelerator == "h800"));
        all.Results.Add(others.Results);
        all.Results.Add(b.Results);
        report.Heading("2. The same run on other accelerators");
        report.Para("2,048 accelerators of each kind, each with the plan the service finds fastest. H800 at $2/h as " +
            "above; the others at their catalog mid price. FP8 GEMMs except on Ascend 910B, which has no FP8 units " +
            "(BF16 there).");
        report.Table(["accelerator", "plan", " MFU", " days", " accelerator-hours", " cost", " MWh"],
            all.Results.Select(r => r.Fits
                ? new[] { r.Accelerator, Plans.Describe(r.Estimate.Plan), F(r.Estimate.ModelFlopsUtilization * 100,
                    "0.0") +
                    " %", F(r.Estimate.WallClockDays, "0.0"), F(r.Estimate.AcceleratorHours), M(r.Estimate.CostUsd),
                    F(r.Estimate.EnergyMwh) }
                : [r.Accelerator, "does not fit: " + r.Reason, "", "", "", "", ""]));
        report.Source("modelled — TrainingCostService.CompareAccelerators; device figures from the emulator's " +
            "catalog " +
            "(`platform devices show ID` names each one's sources).");
        report.Command($"platform train compare {Run} --devices h800,h100-sxm,h20,b200,mi300x --chart chips.svg\n" +
            "platform train compare --model deepseek-v3 --tokens 14.8T --count 2048 --precision bf16 " +
            "--devices ascend-910b");
        report.Chart(TrainingCharts.ChipComparison(CompareCommand.Runs(all),
                "DeepSeek-V3 pre-training on 2,048 accelerators: time, cost, energy"), "chips",
            "Wall-clock time, cost and energy of each chip relative to H800 (modelled; absolute figures over " +
                "the bars).");
    }
}
