namespace Platform.Benchmarks;

/// <summary>
/// Where delivery jitter comes from: whole steps delivered late (a pause of the host or the client), or streams
/// changing places within a step's burst of messages. Each message's delivery delay is its receipt minus its emission,
/// less the stream's smallest such difference (which absorbs the two processes' clock offset, so a delay is relative
/// to the stream's best delivery); messages are grouped into steps by their emission time on the client's clock (a
/// gap of over <see cref="StepGapMs"/> starts a new step).
/// </summary>
internal static class DeliverySteps
{
    private const double StepGapMs = 20;

    /// <summary>Step medians of the delay (p50 / p99 / max over steps, and the three worst steps: their index, size
    /// and how late the engine emitted them) and the spread within a step (p99 − p50 of the step's delays, p50 / max
    /// over steps), ms.</summary>
    public static string Describe((double Received, double Emitted, double Late)[][] streams)
    {
        var all = new List<(double At, double Delay, double Late)>();
        foreach (var m in streams)
        {
            if (m.Length == 0) continue;
            double offset = m.Min(x => x.Received - x.Emitted);
            foreach (var (r, e, l) in m) all.Add((e + offset, r - e - offset, l));
        }
        all.Sort((a, b) => a.At.CompareTo(b.At));
        var steps = new List<(int Messages, double Median, double Spread, double Late)>();
        int start = 0;
        for (int i = 1; i <= all.Count; i++)
        {
            if (i < all.Count && all[i].At - all[i - 1].At <= StepGapMs) continue;
            var step = all.GetRange(start, i - start);
            var delays = step.Select(x => x.Delay).ToList();
            double median = ServeRound.P(delays, 0.5);
            steps.Add((step.Count, median, ServeRound.P(delays, 0.99) - median, step.Max(x => x.Late)));
            start = i;
        }
        if (steps.Count == 0) return "no token messages";
        var medians = steps.Select(x => x.Median).ToList();
        var spreads = steps.Select(x => x.Spread).ToList();
        string worst = string.Join(", ", steps.Select((x, k) => (x, k)).OrderByDescending(y => y.x.Median).Take(3)
            .Select(y => $"#{y.k} {y.x.Median:F1} ms ({y.x.Messages} messages, emitted up to {y.x.Late:F1} ms late)"));
        return $"{steps.Count} steps; step median p50 {ServeRound.P(medians, 0.5):F2} / p99 " +
               $"{ServeRound.P(medians, 0.99):F2} / max {medians.Max():F2} ms; within a step p99 - p50 " +
               $"{ServeRound.P(spreads, 0.5):F2} (max {spreads.Max():F2}) ms\n      worst steps: {worst}";
    }
}
