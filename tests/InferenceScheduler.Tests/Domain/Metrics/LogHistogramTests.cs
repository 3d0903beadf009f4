using InferenceScheduler.Domain.Metrics;

namespace InferenceScheduler.Tests.Domain.Metrics;

public sealed class LogHistogramTests
{
    [Fact]
    public void Percentiles_are_within_half_a_percent_of_exact_order_statistics()
    {
        var rng = new Random(3);
        var values = Enumerable.Range(0, 100_000).Select(_ => Math.Exp(rng.NextDouble() * 10)).ToArray();
        var h = new LogHistogram();
        foreach (var v in values) h.Add(v);
        Array.Sort(values);
        foreach (var q in new[] { 0.5, 0.9, 0.99 })
        {
            double exact = values[(int)Math.Ceiling(q * values.Length) - 1];
            Assert.Equal(exact, h.Quantile(q), exact * 0.005);
        }
        Assert.Equal(values.Average(), h.Summarize().Mean, 1e-6 * values.Average());
    }
}
