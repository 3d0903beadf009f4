using InferenceScheduler.Domain.Metrics;

namespace InferenceScheduler.Tests.Domain.Metrics;

public sealed class TimelineTests
{
    [Fact]
    public void Timeline_stays_bounded_and_keeps_time_averages_when_the_run_outgrows_it()
    {
        var t = new Timeline(1.0, instances: 2);
        // Instance busy the first half of every second, at 40% KV, for 10,000 s (20x more than the buckets).
        for (int s = 0; s < 10_000; s++) t.AddBusy(s, s + 0.5, 0.4, 3, 1);
        var samples = t.Samples(10_000);
        Assert.True(samples.Count <= Timeline.MaxBuckets);
        Assert.All(samples.Take(samples.Count - 1), p =>
        {
            Assert.Equal(0.25, p.AcceleratorUtilization, 1e-9); // one of two instances, half the time
            Assert.Equal(0.1, p.KvCacheUtilization, 1e-9);
        });
    }
}
