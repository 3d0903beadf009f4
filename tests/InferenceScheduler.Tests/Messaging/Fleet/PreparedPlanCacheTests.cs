using InferenceScheduler.Application.Capacity;
using InferenceScheduler.Messaging.Fleet;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InferenceScheduler.Tests.Messaging.Fleet;

/// <summary>
/// A worker prepares each plan once for all of its probes, keeps a bounded number (least recently used dropped
/// first), prepares again after a failed or cancelled preparation, and forgets a plan when its job ends.
/// </summary>
public sealed class PreparedPlanCacheTests
{
    private sealed class Preparations
    {
        public int Count { get; private set; }

        public Func<Task<string>> Of(string plan) => () =>
        {
            Count++;
            return Task.FromResult(plan);
        };
    }

    [Fact]
    public async Task A_job_is_prepared_once_for_all_its_probes()
    {
        var cache = new PreparedPlanCache<string>(2);
        var prepared = new Preparations();
        var job = Guid.NewGuid();
        var first = cache.GetOrAdd(job, prepared.Of("plan"));
        var second = cache.GetOrAdd(job, prepared.Of("other"));
        Assert.Same(first, second);
        Assert.Equal("plan", await second);
        Assert.Equal(1, prepared.Count);
    }

    [Fact]
    public async Task Past_the_bound_the_least_recently_used_plan_is_dropped()
    {
        var cache = new PreparedPlanCache<string>(2);
        var prepared = new Preparations();
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid();
        await cache.GetOrAdd(a, prepared.Of("a"));
        await cache.GetOrAdd(b, prepared.Of("b"));
        await cache.GetOrAdd(a, prepared.Of("a again")); // a is now the most recently used
        await cache.GetOrAdd(c, prepared.Of("c"));       // drops b
        Assert.Equal(2, cache.Count);
        Assert.Equal(3, prepared.Count);
        Assert.Equal("a", await cache.GetOrAdd(a, prepared.Of("a again")));
        Assert.Equal(3, prepared.Count);
        Assert.Equal("b again", await cache.GetOrAdd(b, prepared.Of("b again")));
        Assert.Equal(4, prepared.Count);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task A_failed_or_cancelled_preparation_is_prepared_again()
    {
        var cache = new PreparedPlanCache<string>(4);
        var job = Guid.NewGuid();
        var failed = cache.GetOrAdd(job, () => Task.FromException<string>(new InvalidOperationException("broker")));
        await Assert.ThrowsAsync<InvalidOperationException>(() => failed);
        Assert.Equal("plan", await cache.GetOrAdd(job, () => Task.FromResult("plan")));

        var other = Guid.NewGuid();
        var cancelled = cache.GetOrAdd(other, () => Task.FromCanceled<string>(new CancellationToken(true)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal("retried", await cache.GetOrAdd(other, () => Task.FromResult("retried")));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task A_plan_is_dropped_when_its_job_ends()
    {
        var fleet = new CapacityFleet(Options.Create(new CapacityFleetOptions()),
            new ConfigurationBuilder().Build(), NullLogger<CapacityFleet>.Instance);
        var job = Guid.NewGuid();
        await fleet.PreparedPlans.GetOrAdd(job, () => Task.FromResult<PreparedPlan>(null!));
        Assert.Equal(1, fleet.PreparedPlans.Count);
        fleet.End(job);
        Assert.Equal(0, fleet.PreparedPlans.Count);
        Assert.False(fleet.PreparedPlans.Remove(job));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreparedPlanCache<string>(0));
    }
}
