using Platform.Cli.Commands.Demo;
using Platform.Cli.Commands.Devices;
using Platform.Cli.Commands.Infer;
using Platform.Cli.Commands.Jobs;
using Platform.Cli.Commands.Kernel;
using Platform.Cli.Commands.Serve;
using Platform.Cli.Commands.Train;
using Spectre.Console.Cli;

namespace Platform.Cli.Commands;

/// <summary>Every command of `platform`.</summary>
public static class CommandTree
{
    /// <summary>Each command's settings type by its path ("train estimate"), for messages about its flags.</summary>
    public static IReadOnlyDictionary<string, Type> SettingsByPath => Paths;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Type> Paths = new();

    private static ICommandConfigurator Add<T>(IConfigurator<CommandSettings> c, string path)
        where T : class, ICommandLimiter<CommandSettings>
    {
        Paths[path] = SettingsOf(typeof(T));
        return c.AddCommand<T>(path.Split(' ')[^1]);
    }

    private static ICommandConfigurator Add<T>(IConfigurator c, string path) where T : class, ICommand
    {
        Paths[path] = SettingsOf(typeof(T));
        return c.AddCommand<T>(path);
    }

    private static Type SettingsOf(Type command)
    {
        for (var t = command; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(AsyncCommand<>))
                return t.GetGenericArguments()[0];
        return typeof(CommandSettings);
    }

    public static void Configure(IConfigurator c)
    {
        c.AddBranch("devices", d =>
        {
            d.SetDescription("The accelerator catalog: list, show, register a custom device");
            Add<ListDevicesCommand>(d, "devices list").WithDescription("List accelerators (table, --json, --chart)")
                .WithExample("devices", "list", "--vendor", "nvidia");
            Add<ShowDeviceCommand>(d, "devices show").WithDescription("One accelerator's figures")
                .WithExample("devices", "show", "h800");
            Add<RegisterDeviceCommand>(d, "devices register")
                .WithDescription("Add or replace a custom accelerator (from --file JSON or --like ID plus flags)")
                .WithExample("devices", "register", "--like", "h800", "--id", "h800-96g", "--hbm-gb", "96");
        });
        c.AddBranch("kernel", k =>
        {
            k.SetDescription("The hardware emulator's kernels");
            Add<KernelRunCommand>(k, "kernel run")
                .WithDescription("Run a GEMM on the CPU in a number format: modelled device time, error vs FP32")
                .WithExample("kernel", "run", "--device", "h800", "--shape", "512x512x1024", "--dtype",
                    "fp8-e4m3");
            Add<ProfileCommand>(k, "kernel profile")
                .WithDescription("Per-op device time of a model's forward pass (--chart: the breakdown)")
                .WithExample("kernel", "profile", "--model", "deepseek-v3", "--phase", "decode", "--batch", "64");
        });
        c.AddBranch("train", t =>
        {
            t.SetDescription("Training cost: estimate, plan, compare chips, compute-optimal size, cost trend");
            Add<EstimateCommand>(t, "train estimate").WithDescription("Time, hours, cost and energy of one run")
                .WithExample("train", "estimate", "--model", "deepseek-v3", "--tokens", "14.8T", "--device", "h800",
                    "--count", "2048", "--precision", "fp8", "--price", "2");
            Add<PlanCommand>(t, "train plan").WithDescription("The best parallel layouts (--job: as a watched job)")
                .WithExample("train", "plan", "--model", "llama-3.1-70b", "--tokens", "2T", "--count", "256");
            Add<CompareCommand>(t, "train compare").WithDescription("The same run on several accelerators")
                .WithExample("train", "compare", "--devices", "h800,h100-sxm,b200", "--chart", "chips.svg");
            Add<OptimalCommand>(t, "train optimal").WithDescription("Compute-optimal parameters and tokens")
                .WithExample("train", "optimal", "--budget", "1e24");
            Add<TrendCommand>(t, "train trend").WithDescription("What the same capability costs in coming years")
                .WithExample("train", "trend", "--cost", "5.576e6", "--chart", "trend.svg");
        });
        c.AddBranch("infer", i =>
        {
            i.SetDescription("Serving: simulate a deployment, plan capacity, list traces");
            Add<SimulateCommand>(i, "infer simulate")
                .WithDescription("Serving metrics of one deployment (--rates: a load sweep)")
                .WithExample("infer", "simulate", "--device", "h800", "--tp", "8", "--rate", "2", "--ttft-slo",
                    "2000", "--tpot-slo", "100");
            Add<CapacityCommand>(i, "infer plan")
                .WithDescription("Cheapest deployments meeting the SLOs at a target rate (--job: as a watched job)")
                .WithExample("infer", "plan", "--devices", "h800,h20", "--rate", "4", "--ttft-slo", "2000",
                    "--tpot-slo", "100");
            Add<TracesCommand>(i, "infer traces").WithDescription("The built-in workload traces");
        });
        c.AddBranch("serve", v =>
        {
            v.SetDescription("Live deployments on virtual accelerators: create, list, show, chat, delete");
            Add<ServeCreateCommand>(v, "serve create")
                .WithDescription("Start a live deployment that answers with the simulator's step times")
                .WithExample("serve", "create", "llama-8b", "--model", "llama-3.1-8b", "--device", "h100-sxm",
                    "--time-scale", "0.1");
            Add<ServeListCommand>(v, "serve list").WithDescription("This host's live deployments and their figures");
            Add<ServeShowCommand>(v, "serve show").WithDescription("One live deployment: KV cache, queue, tokens/s")
                .WithExample("serve", "show", "llama-8b");
            Add<ServeChatCommand>(v, "serve chat")
                .WithDescription("Send a prompt: tokens as they arrive, then TTFT, TPOT and E2E (--json: events)")
                .WithExample("serve", "chat", "llama-8b", "Hello", "--max-tokens", "32");
            Add<ServeDeleteCommand>(v, "serve delete").WithDescription("Stop a live deployment")
                .WithExample("serve", "delete", "llama-8b");
        });
        c.AddBranch("jobs", j =>
        {
            j.SetDescription("Jobs of every kind: list, watch with a progress bar, cancel");
            Add<ListJobsCommand>(j, "jobs list").WithDescription("Jobs newest first");
            Add<WatchJobCommand>(j, "jobs watch").WithDescription("Follow a job until it finishes");
            Add<CancelJobCommand>(j, "jobs cancel").WithDescription("Cancel a queued or running job");
        });
        Add<DemoCommand>(c, "demo")
            .WithDescription("DeepSeek-V3's training and serving story: writes DIR/report.md with charts")
            .WithExample("demo", "--out", "out");
    }
}
