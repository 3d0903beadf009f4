using Platform.Contracts.Mapping;
using InferenceScheduler.Domain.Serving;
using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;
using InferenceScheduler.Infrastructure;
using Platform.Contracts.Inference.V1;
using Platform.ServiceDefaults;
using ModelArchitecture = Platform.Modeling.ModelArchitecture;

namespace InferenceScheduler.Application;

/// <summary>A validated, ready-to-run simulation.</summary>
public sealed record SimulationPlan(SimulationSetup Setup, WorkloadSource Workload, IReadOnlyList<string> Notes);

/// <summary>
/// Translates a SimulateWorkloadRequest into domain terms: resolves the model and accelerator, checks the layout and
/// memory, builds the time model (emulator profile or constant) and the workload. The request's shape has been checked
/// by its validator (<see cref="Validation.SimulateWorkloadRequestValidator"/>); the checks that need the model, the
/// accelerator or the emulator happen here, before anything is simulated. By concept:
/// <see cref="DeploymentOptions"/> (model formats and layout), <see cref="SchedulerOptions"/> (engine settings,
/// router), <see cref="StepTimeOptions"/>, <see cref="WorkloadOptions"/>; pools and the run's setup are assembled here,
/// and the emulator is asked in <see cref="StepTimeAsync"/> only.
/// </summary>
public sealed class SimulationPlanner(EmulatorProfiles emulator)
{
    /// <summary>
    /// The field errors about rows of a trace uploaded through SimulateUploadedTrace name (the messages carrying the
    /// text).
    /// </summary>
    public const string UploadedRowsField = "chunk";

    /// <summary>
    /// Host-side cost per engine step (scheduling, sampling, detokenisation) when the request gives none.
    /// </summary>
    public const double DefaultStepOverheadSeconds = 0.002;

    /// <summary>What every pool of one request is built from.</summary>
    private sealed record Request(ModelArchitecture Model, Deployment Dep, AcceleratorInfo Acc,
        DeploymentOptions Options, StepTimeOptions Time, List<string> Notes);

    public async Task<SimulationPlan> PlanAsync(SimulateWorkloadRequest req, TraceRequest[]? uploaded,
        CancellationToken ct)
    {
        var model = ModelSpecMapper.Resolve(req.Model, "model");
        var dep = req.Deployment
            ?? throw new ArgumentException("the request was not validated: deployment is missing", nameof(req));
        var acc = await emulator.GetAcceleratorAsync(dep.Accelerator, "deployment.accelerator", ct);
        var r = new Request(model, dep, acc, DeploymentOptions.Read(dep, model, acc),
            StepTimeOptions.Read(req.TimeModel), []);

        var (first, second, transferBps) = await PoolsAsync(r, ct);
        var setup = Setup(req, r, first, second, transferBps);
        var workload = uploaded is null
            ? WorkloadOptions.Build(req.Workload)
            : WorkloadOptions.Uploaded(uploaded, req.Workload);
        var slo = req.Slo ?? new Slo();
        if (!(slo.TtftMs > 0 || slo.TpotMs > 0 || slo.E2EMs > 0))
            r.Notes.Add("no SLO given: every request counts as meeting it (goodput = request throughput)");
        return new SimulationPlan(setup, workload, r.Notes);
    }

    public static WorkloadSource BuildWorkload(Workload? w) => WorkloadOptions.Build(w);

    /// <summary>
    /// The colocated pool, or the prefill and decode pools with the KV transfer bandwidth between them (bytes/s per
    /// accelerator).
    /// </summary>
    private async Task<(PoolSetup First, PoolSetup? Second, double TransferBytesPerSecond)> PoolsAsync(Request r,
        CancellationToken ct)
    {
        double transferBps = r.Acc.ScaleOutGBps * 1e9;
        if (r.Dep.Disaggregation is not { } dis)
            return (await PoolAsync(r, "colocated", null, "deployment", ct), null, transferBps);
        if (dis.KvTransferGbps > 0) transferBps = dis.KvTransferGbps * 1e9;
        var prefill = await PoolAsync(r, "prefill", dis.Prefill ?? new PoolSpec(), "deployment.disaggregation.prefill",
            ct);
        var decode = await PoolAsync(r, "decode", dis.Decode ?? new PoolSpec(), "deployment.disaggregation.decode", ct);
        return (prefill, decode, transferBps);
    }

    private async Task<PoolSetup> PoolAsync(Request r, string name, PoolSpec? spec, string prefix, CancellationToken ct)
    {
        var layout = r.Options.PoolLayout(spec);
        layout.Validate(r.Model, prefix);
        var (maxSeqs, maxTokens) = SchedulerOptions.BatchLimits(r.Dep, spec, r.Acc);
        var o = r.Options;
        var memory = MemoryPlan.Build(r.Model, layout, r.Acc, o.Weights, o.Kv, o.MemoryUtilization, maxTokens,
            o.BlockSize, prefix);
        var sched = SchedulerOptions.Settings(r.Dep, maxSeqs, maxTokens, o.BlockSize);
        var stepTime = await StepTimeAsync(r.Model, layout, r.Acc, r.Dep, o, r.Time, prefix, ct);
        r.Notes.Add($"{name}: {layout.Instances} instance(s) of TP{layout.TensorParallel} PP{layout.PipelineParallel}" +
                    $"{(layout.ExpertParallel > 1 ? $" EP{layout.ExpertParallel}" : "")}" +
                    $"{(layout.DataParallel > 1 ? $" DP{layout.DataParallel}" : "")} on {r.Acc.Id}; " +
                    $"weights {memory.WeightBytesPerAccelerator / MemoryPlan.GiB:F1} GiB/accelerator, " +
                    $"KV cache {memory.KvTokensPerInstance:N0} tokens/instance; {stepTime.Describe()}");
        return new PoolSetup(name, layout.Instances, layout.AcceleratorsPerInstance, memory.KvTokensPerInstance, sched,
            stepTime, memory.WeightBytesPerAccelerator, memory.KvBytesPerTokenPerAccelerator,
            layout.ExpertParallel > 1 ? layout.DataParallel : 1);
    }

    /// <summary>
    /// A pool's step time: the request's constant model, else the emulator's profile of this layout on this
    /// accelerator.
    /// </summary>
    private async Task<IStepTimeModel> StepTimeAsync(ModelArchitecture model, Parallelism layout, AcceleratorInfo acc,
        Deployment dep, DeploymentOptions options, StepTimeOptions time, string prefix, CancellationToken ct)
    {
        var (weights, kv, imbalance) = (options.Weights, options.Kv, options.ExpertImbalance);
        var (constant, overhead, overlap) = (time.Constant, time.OverheadSeconds, time.Overlap);
        IStepTimeModel stepTime = constant ?? await emulator.GetProfileAsync(
            new StepProfilePlan(model, layout, weights, kv, imbalance, acc.ScaleUpDomain), acc, overhead, overlap,
            prefix, ct, dep.CommunicationSms);
        return stepTime;
    }

    /// <summary>
    /// The run's settings beyond the pools: router, SLO, KV transfer, priority classes, price and timeline.
    /// </summary>
    private static SimulationSetup Setup(SimulateWorkloadRequest req, Request r, PoolSetup first, PoolSetup? second,
        double transferBps)
    {
        var dep = r.Dep;
        var router = SchedulerOptions.Router(dep.Router);
        var slo = req.Slo ?? new Slo();
        double price = dep.AcceleratorHourUsd > 0 ? dep.AcceleratorHourUsd : r.Acc.PriceUsdPerHour;
        return new SimulationSetup(first, second, router,
            new SloTargets(slo.TtftMs / 1e3, slo.TpotMs / 1e3, slo.E2EMs / 1e3),
            transferBps, r.Acc.ScaleOutLatencyUs * 1e-6, Math.Max(1, dep.PriorityClasses), price,
            req.TimelineIntervalSeconds);
    }
}
