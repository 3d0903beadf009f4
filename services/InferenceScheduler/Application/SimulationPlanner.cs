using Platform.Contracts.Mapping;
using InferenceScheduler.Domain.Serving;
using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;
using InferenceScheduler.Infrastructure;
using Platform.Contracts.Inference.V1;
using Platform.ServiceDefaults;
using Platform.Modeling.Errors;
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

        var (first, second, transferBps, latencyUs) = await PoolsAsync(r, ct);
        var setup = Setup(req, r, first, second, transferBps, latencyUs);
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
    /// accelerator: the request's, else the lower scale-out bandwidth of the pools' accelerators) and its latency (the
    /// higher of theirs, µs).
    /// </summary>
    private async Task<(PoolSetup First, PoolSetup? Second, double TransferBytesPerSecond, double LatencyUs)>
        PoolsAsync(Request r, CancellationToken ct)
    {
        if (r.Dep.Disaggregation is not { } dis)
        {
            var (pool, _) = await PoolAsync(r, "colocated", null, "deployment", ct);
            return (pool, null, r.Acc.ScaleOutGBps * 1e9, r.Acc.ScaleOutLatencyUs);
        }
        var (prefill, pa) = await PoolAsync(r, "prefill", dis.Prefill ?? new PoolSpec(),
            "deployment.disaggregation.prefill", ct);
        var (decode, da) = await PoolAsync(r, "decode", dis.Decode ?? new PoolSpec(),
            "deployment.disaggregation.decode", ct);
        double transferBps = dis.KvTransferGbps > 0
            ? dis.KvTransferGbps * 1e9
            : Math.Min(pa.ScaleOutGBps, da.ScaleOutGBps) * 1e9;
        return (prefill, decode, transferBps, Math.Max(pa.ScaleOutLatencyUs, da.ScaleOutLatencyUs));
    }

    /// <summary>
    /// A pool on its own accelerator (<c>accelerator</c> of its spec) or the deployment's, and that accelerator.
    /// </summary>
    private async Task<(PoolSetup Pool, AcceleratorInfo Acc)> PoolAsync(Request r, string name, PoolSpec? spec,
        string prefix, CancellationToken ct)
    {
        var layout = r.Options.PoolLayout(spec);
        layout.Validate(r.Model, prefix);
        var acc = string.IsNullOrWhiteSpace(spec?.Accelerator)
            ? r.Acc
            : await emulator.GetAcceleratorAsync(spec.Accelerator, $"{prefix}.accelerator", ct);
        bool own = !string.Equals(acc.Id, r.Acc.Id, StringComparison.OrdinalIgnoreCase);
        if (own && acc.ComputeUnits > 0 && r.Dep.CommunicationSms >= acc.ComputeUnits)
            throw new InvalidFieldException("deployment.communication_sms",
                $"must leave compute units for compute ({acc.Id} of {prefix} has {acc.ComputeUnits})");
        double? price = spec is { AcceleratorHourUsd: > 0 } ? spec.AcceleratorHourUsd
            : own ? acc.PriceUsdPerHour : null;
        var (maxSeqs, maxTokens) = SchedulerOptions.BatchLimits(r.Dep, spec, acc);
        var o = r.Options;
        var memory = MemoryPlan.Build(r.Model, layout, acc, o.Weights, o.Kv, o.MemoryUtilization, maxTokens,
            o.BlockSize, prefix);
        var sched = SchedulerOptions.Settings(r.Dep, maxSeqs, maxTokens, o.BlockSize);
        var stepTime = await StepTimeAsync(r.Model, layout, acc, r.Dep, o, r.Time, prefix, ct);
        r.Notes.Add($"{name}: {layout.Instances} instance(s) of TP{layout.TensorParallel} PP{layout.PipelineParallel}" +
                    $"{(layout.ExpertParallel > 1 ? $" EP{layout.ExpertParallel}" : "")}" +
                    $"{(layout.DataParallel > 1 ? $" DP{layout.DataParallel}" : "")} on {acc.Id}; " +
                    $"weights {memory.WeightBytesPerAccelerator / MemoryPlan.GiB:F1} GiB/accelerator, " +
                    $"KV cache {memory.KvTokensPerInstance:N0} tokens/instance; {stepTime.Describe()}");
        return (new PoolSetup(name, layout.Instances, layout.AcceleratorsPerInstance, memory.KvTokensPerInstance, sched,
            stepTime, memory.WeightBytesPerAccelerator, memory.KvBytesPerTokenPerAccelerator,
            layout.ExpertParallel > 1 ? layout.DataParallel : 1, price), acc);
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
            prefix, ct, dep.CommunicationSms, time.Schedule);
        return stepTime;
    }

    /// <summary>
    /// The run's settings beyond the pools: router, SLO, KV transfer, priority classes, price and timeline.
    /// </summary>
    private static SimulationSetup Setup(SimulateWorkloadRequest req, Request r, PoolSetup first, PoolSetup? second,
        double transferBps, double latencyUs)
    {
        var dep = r.Dep;
        var router = SchedulerOptions.Router(dep.Router);
        var slo = req.Slo ?? new Slo();
        double price = dep.AcceleratorHourUsd > 0 ? dep.AcceleratorHourUsd : r.Acc.PriceUsdPerHour;
        return new SimulationSetup(first, second, router,
            new SloTargets(slo.TtftMs / 1e3, slo.TpotMs / 1e3, slo.E2EMs / 1e3),
            transferBps, latencyUs * 1e-6, Math.Max(1, dep.PriorityClasses), price,
            req.TimelineIntervalSeconds);
    }
}
