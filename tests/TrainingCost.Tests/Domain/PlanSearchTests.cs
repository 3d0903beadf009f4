using HardwareEmulator;
using HardwareEmulator.Domain.Devices;
using HardwareEmulator.Domain.Timing;
using Microsoft.Extensions.Options;
using Platform.EmulatorClient;
using Platform.Modeling;
using Platform.Modeling.Devices;
using Platform.Modeling.Ops;
using TrainingCost.Domain;

namespace TrainingCost.Tests.Domain;

/// <summary>The plan search prunes and memoizes without changing a single figure, and stops when cancelled.</summary>
public sealed class PlanSearchTests
{
    /// <summary>The services' emulator client over the in-process emulator, counting what it is asked.</summary>
    private sealed class CountingEmulator : IEmulator
    {
        private readonly IEmulator _inner = new Platform.EmulatorClient.Emulator(
            new InProcessEmulatorBackend(new DeviceCatalog(), new TimingModel()),
            Options.Create(new EmulatorClientOptions()));
        public int TimeCalls { get; private set; }
        public int OpsAsked { get; private set; }
        public Action? OnTime { get; set; }

        public Task<DeviceSpec> GetDeviceAsync(string id, string field, CancellationToken ct) =>
            _inner.GetDeviceAsync(id, field, ct);

        public Task<IReadOnlyList<OpTime>> TimeAsync(string deviceId, IReadOnlyList<OpShape> ops, string field,
            CancellationToken ct, KernelProfile kernels = KernelProfile.Catalog)
        {
            TimeCalls++;
            OpsAsked += ops.Count;
            OnTime?.Invoke();
            return _inner.TimeAsync(deviceId, ops, field, ct, kernels);
        }

        public void Forget(string deviceId) => _inner.Forget(deviceId);
    }

    private static TrainingRunSpec Run(string preset, string device, int count, long seq = 4096,
        TrainingPrecision precision = TrainingPrecision.Bf16, PlanObjective objective = PlanObjective.MinTime) => new()
        {
            Model = ModelPresets.Get(preset).Architecture, TrainingTokens = 1e12, SequenceLength = seq,
            Accelerator = device, AcceleratorCount = count, Precision = precision, Objective = objective,
        };

    public static TheoryData<string, string, int, long, TrainingPrecision, PlanObjective, int> Cases() => new()
    {
        { "deepseek-v3", "h800", 2048, 4096, TrainingPrecision.Fp8, PlanObjective.MinTime, 1 },
        { "deepseek-v3", "h800", 2048, 4096, TrainingPrecision.Fp8, PlanObjective.MinTime, 20 },
        { "llama-3.1-70b", "a100-80gb", 1024, 8192, TrainingPrecision.Bf16, PlanObjective.MinTime, 5 },
        { "llama-3.1-8b", "h100-sxm", 256, 32768, TrainingPrecision.Bf16, PlanObjective.MinTime, 3 },
        { "mixtral-8x7b", "h100-sxm", 512, 4096, TrainingPrecision.Bf16, PlanObjective.MinCost, 5 },
        { "llama-3.1-405b", "h100-sxm", 4096, 8192, TrainingPrecision.Fp8, PlanObjective.MinCost, 2 },
        // More than the first round of 64 plans: the bound of the 100th decides.
        { "deepseek-v3", "h800", 1024, 4096, TrainingPrecision.Fp8, PlanObjective.MinCost, 100 },
        { "llama-3.1-70b", "a100-80gb", 2048, 4096, TrainingPrecision.Bf16, PlanObjective.MinTime, 80 },
    };

    [Fact]
    public async Task Pruned_search_matches_brute_force_on_a_slower_fabric_and_a_narrowed_schedule_list()
    {
        var emulator = new CountingEmulator();
        var estimator = new TrainingEstimator(emulator);
        var spec = Run("mixtral-8x7b", "h100-sxm", 1024) with { ScaleOutGBpsOverride = 12.5 };
        AssertSame(await BruteForceAsync(estimator, emulator, spec, 4), (await estimator.SearchAsync(spec, 4,
            default)).Best);
        var narrowed = Run("deepseek-v3", "h800", 2048, precision: TrainingPrecision.Fp8) with
        {
            AllowedSchedules = [PipelineSchedule.OneFOneB, PipelineSchedule.Interleaved],
        };
        AssertSame(await BruteForceAsync(estimator, emulator, narrowed, 3), (await estimator.SearchAsync(narrowed, 3,
            default)).Best);
    }

    /// <summary>
    /// The reference: every fitting plan timed in one batch and evaluated alone (no memo), ranked by the objective,
    /// then memory, then enumeration order, exactly as the search did before it pruned.
    /// </summary>
    private static async Task<List<TrainingEstimate>> BruteForceAsync(TrainingEstimator estimator, IEmulator emulator,
        TrainingRunSpec spec, int topK)
    {
        var device = AcceleratorSpec.From(await emulator.GetDeviceAsync(spec.Accelerator, "x", default));
        var ctx = estimator.Context(spec, device);
        var worlds = spec.Objective == PlanObjective.MinCost
            ? new[] { spec.AcceleratorCount, spec.AcceleratorCount / 2, spec.AcceleratorCount / 4 }
                .Where(w => w >= 1 && w * 4 >= spec.AcceleratorCount).Distinct()
            : [spec.AcceleratorCount];
        var fitting = worlds.SelectMany(w => PlanSpace.Enumerate(spec.Model, w, device.ScaleUpDomain, [],
                spec.AllowedSchedules, spec.SequenceLength))
            .Where(p => MemoryModel.Estimate(ctx.Model, ctx.Parameters, p, spec.SequenceLength, device,
                    ActivationOptions.Of(spec, p)).Fits
                && (long)p.DataParallel * p.MicroBatch <= spec.RequestedBatchSequences
                && (p.PipelineParallel == 1 || spec.GlobalBatchSequences(p.DataParallel, p.MicroBatch)
                    / ((long)p.DataParallel * p.MicroBatch) >= p.PipelineParallel))
            .ToList();
        var times = await estimator.TimeAsync(ctx, fitting, default);
        Func<TrainingEstimate, double> key = spec.Objective == PlanObjective.MinCost
            ? e => e.CostUsd
            : e => e.WallClockHours;
        return fitting.Select(p => estimator.Evaluate(ctx, p, times)).OrderBy(key).ThenBy(e => e.Memory.TotalGb)
            .Take(topK).ToList();
    }

    private static void AssertSame(IReadOnlyList<TrainingEstimate> expected, IReadOnlyList<TrainingEstimate> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Plan, actual[i].Plan);
            Assert.Equal(expected[i].Step, actual[i].Step);
            Assert.Equal(expected[i].Memory, actual[i].Memory);
            Assert.Equal(expected[i].Reliability, actual[i].Reliability);
            Assert.Equal(expected[i].HardwareFlopsPerToken, actual[i].HardwareFlopsPerToken);
            Assert.Equal(expected[i].WallClockHours, actual[i].WallClockHours);
            Assert.Equal(expected[i].CostUsd, actual[i].CostUsd);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Pruned_search_returns_exactly_the_best_plans_of_a_brute_force_evaluation(string preset,
        string device, int count, long seq, TrainingPrecision precision, PlanObjective objective, int topK)
    {
        var emulator = new CountingEmulator();
        var estimator = new TrainingEstimator(emulator);
        var spec = Run(preset, device, count, seq, precision, objective);
        var expected = await BruteForceAsync(estimator, emulator, spec, topK);
        Assert.NotEmpty(expected);
        var pruned = await estimator.SearchAsync(spec, topK, default);
        AssertSame(expected, pruned.Best);
        var unpruned = await estimator.SearchAsync(spec, topK, prune: false, default);
        AssertSame(expected, unpruned.Best);
        Assert.Equal(unpruned.Evaluated, pruned.Evaluated);
        Assert.Equal(unpruned.Rejected.Count, pruned.Rejected.Count);
        Assert.Equal(unpruned.RejectionCounts, pruned.RejectionCounts);
    }

    [Fact]
    public async Task Pruned_search_times_fewer_op_shapes_than_evaluating_every_fitting_plan()
    {
        var spec = Run("deepseek-v3", "h800", 2048, precision: TrainingPrecision.Fp8);
        var all = new CountingEmulator();
        await new TrainingEstimator(all).SearchAsync(spec, 1, prune: false, default);
        var pruned = new CountingEmulator();
        await new TrainingEstimator(pruned).SearchAsync(spec, 1, default);
        Assert.True(pruned.OpsAsked < all.OpsAsked, $"{pruned.OpsAsked} vs {all.OpsAsked}");
    }

    [Fact]
    public async Task Memoized_step_model_gives_the_same_step_for_every_plan()
    {
        var spec = Run("deepseek-v3", "h800", 2048, precision: TrainingPrecision.Fp8);
        var device = AcceleratorSpec.From(await new CountingEmulator().GetDeviceAsync("h800", "x", default));
        var ctx = new TrainingEstimator(new CountingEmulator()).Context(spec, device);
        var plans = PlanSpace.Enumerate(spec.Model, 2048, device.ScaleUpDomain, [], null, 4096);
        // Any deterministic op time will do: distinct per shape, so a mix-up of memo entries shows.
        static double Time(OpShape op) => (op.Key().GetHashCode() & 0xffff) * 1e-9 + 1e-6;
        var memo = new StepMemo();
        foreach (var plan in plans.Where((_, i) => i % 7 == 0))
            Assert.Equal(StepModel.Evaluate(ctx, plan, Time), StepModel.Evaluate(ctx, plan, Time, memo));
    }

    [Fact]
    public async Task Cancelled_search_stops_before_timing_anything()
    {
        var emulator = new CountingEmulator();
        var estimator = new TrainingEstimator(emulator);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p >= 0.2) cts.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => estimator.SearchAsync(
            Run("deepseek-v3", "h800", 2048, precision: TrainingPrecision.Fp8), 1, cts.Token, progress));
        Assert.Equal(0, emulator.TimeCalls);
    }

    [Fact]
    public async Task Cancellation_while_timing_stops_the_search()
    {
        var emulator = new CountingEmulator();
        var estimator = new TrainingEstimator(emulator);
        using var cts = new CancellationTokenSource();
        emulator.OnTime = cts.Cancel;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => estimator.SearchAsync(
            Run("deepseek-v3", "h800", 2048, precision: TrainingPrecision.Fp8), 1, cts.Token));
        Assert.Equal(1, emulator.TimeCalls);
    }

    [Fact]
    public void Enumeration_observes_cancellation()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => PlanSpace.Enumerate(
            ModelPresets.Get("deepseek-v3").Architecture, 2048, 8, [], null, 4096, cts.Token));
    }

    [Fact]
    public async Task Out_of_memory_reasons_are_worded_on_demand_and_grouped_without_wording()
    {
        var result = await new TrainingEstimator(new CountingEmulator()).SearchAsync(
            Run("llama-3.1-70b", "a100-80gb", 64), 1, default);
        var oom = result.Rejected.First(r => r.Group == "out of memory");
        Assert.StartsWith("out of memory: needs ", oom.Reason);
        Assert.Contains(" GB per accelerator", oom.Reason);
        Assert.True(result.RejectionCounts["out of memory"] > 0);
        Assert.Equal(new RejectedPlan(oom.Plan, oom.Reason), oom);
    }

    /// <summary>Progress reported synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
