using Platform.Cli.Commands.Demo;
using Platform.Cli.Commands.Devices;
using Platform.Cli.Commands.Infer;
using Platform.Cli.Commands.Jobs;
using Platform.Cli.Commands.Kernel;
using Platform.Cli.Commands.Train;
using Spectre.Console.Cli;

namespace Platform.Cli.Commands;

/// <summary>Every command of `platform`.</summary>
public static class CommandTree
{
    public static void Configure(IConfigurator c)
    {
        c.AddBranch("devices", d =>
        {
            d.SetDescription("The accelerator catalog: list, show, register a custom device");
            d.AddCommand<ListDevicesCommand>("list").WithDescription("List accelerators (table, --json, --chart)")
                .WithExample("devices", "list", "--vendor", "nvidia");
            d.AddCommand<ShowDeviceCommand>("show").WithDescription("One accelerator's figures")
                .WithExample("devices", "show", "h800");
            d.AddCommand<RegisterDeviceCommand>("register")
                .WithDescription("Add or replace a custom accelerator (from --file JSON or --like ID plus flags)")
                .WithExample("devices", "register", "--like", "h800", "--id", "h800-96g", "--hbm-gb", "96");
        });
        c.AddBranch("kernel", k =>
        {
            k.SetDescription("The hardware emulator's kernels");
            k.AddCommand<KernelRunCommand>("run")
                .WithDescription("Run a GEMM on the CPU in a number format: modelled device time, error vs FP32")
                .WithExample("kernel", "run", "--device", "h800", "--shape", "512x512x1024", "--dtype",
                    "fp8-e4m3");
            k.AddCommand<ProfileCommand>("profile")
                .WithDescription("Per-op device time of a model's forward pass (--chart: the breakdown)")
                .WithExample("kernel", "profile", "--model", "deepseek-v3", "--phase", "decode", "--batch", "64");
        });
        c.AddBranch("train", t =>
        {
            t.SetDescription("Training cost: estimate, plan, compare chips, compute-optimal size, cost trend");
            t.AddCommand<EstimateCommand>("estimate").WithDescription("Time, hours, cost and energy of one run")
                .WithExample("train", "estimate", "--model", "deepseek-v3", "--tokens", "14.8T", "--device", "h800",
                    "--count", "2048", "--precision", "fp8", "--price", "2");
            t.AddCommand<PlanCommand>("plan").WithDescription("The best parallel layouts (--job: as a watched job)")
                .WithExample("train", "plan", "--model", "llama-3.1-70b", "--tokens", "2T", "--count", "256");
            t.AddCommand<CompareCommand>("compare").WithDescription("The same run on several accelerators")
                .WithExample("train", "compare", "--devices", "h800,h100-sxm,b200", "--chart", "chips.svg");
            t.AddCommand<OptimalCommand>("optimal").WithDescription("Compute-optimal parameters and tokens")
                .WithExample("train", "optimal", "--budget", "1e24");
            t.AddCommand<TrendCommand>("trend").WithDescription("What the same capability costs in coming years")
                .WithExample("train", "trend", "--cost", "5.576e6", "--chart", "trend.svg");
        });
        c.AddBranch("infer", i =>
        {
            i.SetDescription("Serving: simulate a deployment, plan capacity, list traces");
            i.AddCommand<SimulateCommand>("simulate")
                .WithDescription("Serving metrics of one deployment (--rates: a load sweep)")
                .WithExample("infer", "simulate", "--device", "h800", "--tp", "8", "--rate", "2", "--ttft-slo",
                    "2000", "--tpot-slo", "100");
            i.AddCommand<CapacityCommand>("plan")
                .WithDescription("Cheapest deployments meeting the SLOs at a target rate (--job: as a watched job)")
                .WithExample("infer", "plan", "--devices", "h800,h20", "--rate", "4", "--ttft-slo", "2000",
                    "--tpot-slo", "100");
            i.AddCommand<TracesCommand>("traces").WithDescription("The built-in workload traces");
        });
        c.AddBranch("jobs", j =>
        {
            j.SetDescription("Jobs of every kind: list, watch with a progress bar, cancel");
            j.AddCommand<ListJobsCommand>("list").WithDescription("Jobs newest first");
            j.AddCommand<WatchJobCommand>("watch").WithDescription("Follow a job until it finishes");
            j.AddCommand<CancelJobCommand>("cancel").WithDescription("Cancel a queued or running job");
        });
        c.AddCommand<DemoCommand>("demo")
            .WithDescription("DeepSeek-V3's training and serving story: writes DIR/report.md with charts")
            .WithExample("demo", "--out", "out");
    }
}
