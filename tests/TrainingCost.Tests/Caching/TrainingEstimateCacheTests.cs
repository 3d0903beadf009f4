using Microsoft.Extensions.Options;
using Platform.Modeling;
using Platform.Modeling.Devices;
using Platform.Modeling.Flops;
using TrainingCost.Caching;
using TrainingCost.Domain;
using DomainEstimate = TrainingCost.Domain.TrainingEstimate;
using DomainRun = TrainingCost.Domain.TrainingRunSpec;

namespace TrainingCost.Tests.Caching;

public sealed class TrainingEstimateCacheTests
{
    private static TrainingEstimateCache Cache(int maxEntries = 100) =>
        new(Options.Create(new TrainingEstimateCacheOptions { MaxEntries = maxEntries }));

    private static DomainRun Run(string device = "h800", int count = 2048, double tokens = 14.8e12) => new()
    {
        Model = ModelPresets.Get("deepseek-v3").Architecture, TrainingTokens = tokens, SequenceLength = 4096,
        Accelerator = device, AcceleratorCount = count, Precision = TrainingPrecision.Fp8,
        AllowedSchedules = [PipelineSchedule.DualPipe, PipelineSchedule.OneFOneB],
    };

    private static DomainEstimate Estimate(DomainRun spec) => new()
    {
        Plan = new ParallelPlan(), Step = new StepBreakdown(), Memory = new MemoryBreakdown(0, 0, 0, 0, 0, 80),
        Reliability = new ReliabilityEstimate(1, 1, 1, 1, 1),
        Flops = FlopCounter.Training(spec.Model, spec.SequenceLength), Parameters = ParameterCounter.Count(spec.Model),
        Device = new AcceleratorSpec { Id = spec.Accelerator }, Accelerators = spec.AcceleratorCount,
        TrainingTokens = spec.TrainingTokens, SequenceLength = spec.SequenceLength, PricePerAcceleratorHour = 2,
        HardwareFlopsPerToken = 1, Energy = spec.Energy,
    };

    /// <summary>A stand-in for the estimator that counts its runs.</summary>
    private sealed class CountingEstimator
    {
        public int Calls;
        public Task<DomainEstimate> EstimateAsync(DomainRun spec, CancellationToken ct)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult(Estimate(spec));
        }
    }

    [Fact]
    public async Task Repeated_run_is_answered_from_the_cache_without_estimating_again()
    {
        using var cache = Cache();
        var estimator = new CountingEstimator();
        var first = await cache.GetOrEstimateAsync(Run(), estimator.EstimateAsync, default);
        // An equal run built anew (new schedule list, equal model): the same entry.
        var second = await cache.GetOrEstimateAsync(Run() with
        {
            Model = ModelPresets.Get("deepseek-v3").Architecture with { },
            AllowedSchedules = new List<PipelineSchedule> { PipelineSchedule.DualPipe, PipelineSchedule.OneFOneB },
        }, estimator.EstimateAsync, default);
        Assert.Same(first, second);
        Assert.Equal(1, estimator.Calls);
        await cache.GetOrEstimateAsync(Run(tokens: 1e12), estimator.EstimateAsync, default);
        await cache.GetOrEstimateAsync(Run() with { AllowedSchedules = null }, estimator.EstimateAsync, default);
        Assert.Equal(3, estimator.Calls);
    }

    [Fact]
    public async Task Cache_holds_at_most_its_size_limit()
    {
        using var cache = Cache(maxEntries: 8);
        var estimator = new CountingEstimator();
        for (int i = 1; i <= 100; i++)
        {
            await cache.GetOrEstimateAsync(Run(count: 64 * i), estimator.EstimateAsync, default);
            Assert.InRange(cache.Count, 1, 8);
        }
        Assert.Equal(100, estimator.Calls);
    }

    [Fact]
    public async Task Registering_a_device_drops_its_estimates_only()
    {
        using var cache = Cache();
        var estimator = new CountingEstimator();
        await cache.GetOrEstimateAsync(Run("my-gpu"), estimator.EstimateAsync, default);
        await cache.GetOrEstimateAsync(Run("h800"), estimator.EstimateAsync, default);
        cache.Forget("MY-GPU");
        await cache.GetOrEstimateAsync(Run("my-gpu"), estimator.EstimateAsync, default);
        await cache.GetOrEstimateAsync(Run("h800"), estimator.EstimateAsync, default);
        Assert.Equal(3, estimator.Calls);
        await cache.GetOrEstimateAsync(Run("my-gpu"), estimator.EstimateAsync, default);
        Assert.Equal(3, estimator.Calls);
    }

    [Fact]
    public async Task Estimate_computed_while_its_device_is_registered_is_not_kept()
    {
        using var cache = Cache();
        int calls = 0;
        Task<DomainEstimate> ForgetMeanwhile(DomainRun spec, CancellationToken ct)
        {
            if (calls++ == 0) cache.Forget(spec.Accelerator);
            return Task.FromResult(Estimate(spec));
        }
        await cache.GetOrEstimateAsync(Run("my-gpu"), ForgetMeanwhile, default);
        await cache.GetOrEstimateAsync(Run("my-gpu"), ForgetMeanwhile, default);
        Assert.Equal(2, calls);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task Failures_are_not_cached_and_a_zero_limit_turns_the_cache_off()
    {
        using var cache = Cache();
        int calls = 0;
        Task<DomainEstimate> Fail(DomainRun spec, CancellationToken ct)
        {
            calls++;
            throw new InvalidOperationException("no");
        }
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetOrEstimateAsync(Run(), Fail, default));
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetOrEstimateAsync(Run(), Fail, default));
        Assert.Equal(2, calls);

        using var off = Cache(maxEntries: 0);
        var estimator = new CountingEstimator();
        await off.GetOrEstimateAsync(Run(), estimator.EstimateAsync, default);
        await off.GetOrEstimateAsync(Run(), estimator.EstimateAsync, default);
        Assert.Equal(2, estimator.Calls);
        Assert.Equal(0, off.Count);
    }
}
