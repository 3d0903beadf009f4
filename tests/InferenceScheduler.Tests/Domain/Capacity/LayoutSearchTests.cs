using InferenceScheduler.Domain.Capacity;
using InferenceScheduler.Domain.Metrics;
using InferenceScheduler.Domain.Simulation;

namespace InferenceScheduler.Tests.Domain.Capacity;

public sealed class LayoutSearchTests
{
    /// <summary>
    /// A layout whose one replica meets the attainment up to <paramref name="perReplicaRate"/> requests/s and whose
    /// whole deployment meets it from <paramref name="replicasNeeded"/> replicas on (a router pools load, so it may
    /// need fewer than the per-replica rate says).
    /// </summary>
    private sealed class FakeLayout(double perReplicaRate, int replicasNeeded, bool idleMeets = true) : ILayoutProbe
    {
        public const double Target = 100;

        public int Runs { get; private set; }

        public Task<ProbeRun> SimulateAsync(int replicas, double ratePerSecond, double stopBelow,
            CancellationToken ct)
        {
            Runs++;
            // one replica below the target rate is a per-replica probe; anything else a whole deployment at the target
            bool meets = replicas == 1 && ratePerSecond < Target
                ? ratePerSecond <= perReplicaRate
                : replicas >= replicasNeeded;
            return Task.FromResult(ProbeRun.Of(Result(meets ? 0.95 : 0.5)));
        }

        public Task<SimulationResult> SimulateIdleAsync(CancellationToken ct)
        {
            Runs++;
            return Task.FromResult(Result(idleMeets ? 1.0 : 0.4));
        }
    }

    private static SimulationResult Result(double attainment) => new(100, 10, 1000, 1000, 0, default, default, default,
        default, default, (long)Math.Round(attainment * 100), 0, 0, 10, 1, 0, 0, 0, [], [], 0, 0, 0, 0);

    private static Task<LayoutSearchResult> Search(ILayoutProbe layout, int maxReplicas) =>
        new LayoutSearch(layout, new CapacityTarget(FakeLayout.Target, 0.9, maxReplicas))
            .RunAsync(CancellationToken.None);

    [Fact]
    public async Task Finds_the_smallest_replica_count_that_meets_within_the_simulation_bound()
    {
        const double target = FakeLayout.Target;
        foreach (int max in new[] { 1, 2, 3, 5, 8, 13, 64, 100, 256 })
            for (int needed = 1; needed <= max; needed++)
                foreach (double skew in new[] { 0.5, 1.0, 1.7 })
                {
                    // the per-replica probe suggests about needed × skew replicas; the whole deployment decides
                    double rate = target / Math.Clamp(needed * skew, 1, max);
                    var layout = new FakeLayout(rate, needed);
                    var search = new LayoutSearch(layout, new CapacityTarget(target, 0.9, max));
                    var r = await search.RunAsync(CancellationToken.None);
                    Assert.Equal(LayoutVerdict.Meets, r.Verdict);
                    Assert.Equal(needed, r.Replicas);
                    Assert.Equal(layout.Runs, r.Simulations);
                    Assert.True(r.Simulations <= LayoutSearch.MaxSimulations(max),
                        $"max {max}, needed {needed}, skew {skew}: {r.Simulations} simulations");
                    Assert.True(r.Verified!.SloAttainment >= 0.9);
                }
    }

    [Fact]
    public async Task A_layout_missing_when_idle_or_past_the_cap_is_rejected_early()
    {
        var idle = new FakeLayout(50, 2, idleMeets: false);
        var r = await Search(idle, 64);
        Assert.Equal(LayoutVerdict.MissesWhenIdle, r.Verdict);
        Assert.Equal(1, r.Simulations);

        var small = new FakeLayout(1, 100);
        r = await Search(small, 64);
        Assert.Equal(LayoutVerdict.NeedsMoreThanMax, r.Verdict);
        Assert.Equal(2, r.Simulations); // idle, then one replica at target ÷ 64
        Assert.Null(r.Verified);
    }

    [Fact]
    public async Task One_replica_at_the_target_is_simulated_once_not_again_to_verify()
    {
        // one replica serves the whole target: the per-replica probe at target ÷ 1 is the whole deployment's run
        foreach (var (max, runs) in new[] { (1, 2), (8, 3) })
        {
            var layout = new FakeLayout(FakeLayout.Target, 1);
            var r = await Search(layout, max);
            Assert.Equal(LayoutVerdict.Meets, r.Verdict);
            Assert.Equal(1, r.Replicas);
            Assert.NotNull(r.Verified);
            Assert.Equal(runs, layout.Runs); // idle, (one replica at target ÷ max,) one replica at the target
            Assert.Equal(runs, r.Simulations);
        }
    }

    [Fact]
    public async Task Per_replica_estimate_below_the_need_is_corrected_upwards_to_the_cap()
    {
        // one replica meets at target ÷ 2, yet the whole deployment needs more than the cap allows
        var optimistic = new FakeLayout(50, 10);
        var r = await Search(optimistic, 8);
        Assert.Equal(LayoutVerdict.NeedsMoreThanMax, r.Verdict);
        Assert.True(r.Simulations <= LayoutSearch.MaxSimulations(8));
    }
}

public sealed class ProbeRunTests
{
    [Theory]
    [InlineData(600, 0.9, 60)] // 540 / 600 is exactly 0.9 in doubles
    [InlineData(6000, 0.9, 600)]
    [InlineData(100, 1.0, 0)]
    [InlineData(7, 0.5, 3)]
    public void Allowed_misses_are_the_most_that_still_reach_the_attainment(long total, double target, long allowed)
    {
        Assert.Equal(allowed, ProbeRun.AllowedMisses(total, target));
        Assert.True((double)(total - allowed) / total >= target);
        Assert.True((double)(total - allowed - 1) / total < target);
    }
}
