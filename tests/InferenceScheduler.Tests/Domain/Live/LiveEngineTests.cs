using InferenceScheduler.Domain.Live;
using InferenceScheduler.Domain.Simulation;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;

namespace InferenceScheduler.Tests.Domain.Live;

/// <summary>
/// The live engine serves on a wall clock with the simulator's scheduler core: same latencies as the simulation of
/// the same arrivals, continuous batching of many streams, KV freed on cancel, prefix-cache hits on a repeated prompt.
/// </summary>
public sealed class LiveEngineTests
{
    /// <summary>Step times large against timer granularity (~1 ms), so a scaled-down run still measures well.</summary>
    private static SimulationSetup Setup(IStepTimeModel? time = null, long kvTokens = 400_000) => new(
        new PoolSetup("colocated", 1, 1, kvTokens,
            new SchedulerSettings(256, 2048, 0, 16, ChunkedPrefill: true, PrefixCaching: true,
                SchedulingPolicyKind.Fcfs, BatchingPolicyKind.VllmV1),
            time ?? new ConstantStepTimeModel(1e-4, 0.04, 0.01)),
        null, RouterKind.LeastOutstanding, new SloTargets(0, 0, 0));

    private static async Task<LiveOutcome> Drain(LiveRequest h) => (await Timed(h)).Outcome;

    /// <summary>The outcome, and TTFT and TPOT by the times the token steps were due.</summary>
    private static async Task<(LiveOutcome Outcome, double Ttft, double Tpot)> Timed(LiveRequest h)
    {
        LiveOutcome? outcome = null;
        int tokens = 0;
        double first = 0, last = 0;
        await foreach (var e in h.Events.ReadAllAsync())
        {
            if (e.Kind == LiveEventKind.Tokens)
            {
                if (tokens == 0) first = e.ScheduledSeconds;
                last = e.ScheduledSeconds;
                tokens += e.Tokens;
            }
            if (e.Outcome is { } o) outcome = o;
        }
        Assert.NotNull(outcome);
        Assert.Equal(outcome.CompletionTokens, tokens);
        return (outcome, first, tokens > 1 ? (last - first) / (tokens - 1) : 0);
    }

    [Fact]
    public async Task Live_ttft_and_tpot_medians_match_the_simulation_of_the_same_arrivals_within_10_percent()
    {
        const double scale = 0.5;
        var rng = new Random(7);
        var rows = new TraceRequest[24];
        double t = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            t += -Math.Log(1 - rng.NextDouble()) / 8.0;
            rows[i] = new TraceRequest(t, rng.Next(200, 800), rng.Next(16, 40));
        }
        using var engine = new LiveEngine(Setup(), scale, 1000);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var runs = new List<Task<(LiveOutcome Outcome, double Ttft, double Tpot)>>();
        var arrived = new TraceRequest[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            double wait = r.ArrivalSeconds * scale - clock.Elapsed.TotalSeconds;
            if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait));
            // The simulation replays the arrivals as they happened (a late timer would otherwise change the load).
            arrived[i] = r with { ArrivalSeconds = clock.Elapsed.TotalSeconds / scale };
            runs.Add(Timed(engine.Submit(r.InputTokens, null, r.OutputTokens)));
        }
        var outcomes = await Task.WhenAll(runs);
        var simulated = new List<RequestOutcome>();
        new Simulator(Setup()).Run(new TraceSource(arrived), simulated.Add);
        double liveTtft = Median(outcomes.Select(o => o.Outcome.TtftSeconds / scale));
        double liveTpot = Median(outcomes.Select(o => o.Outcome.TpotSeconds / scale));
        double dueTtft = Median(outcomes.Select(o => o.Ttft / scale));
        double dueTpot = Median(outcomes.Select(o => o.Tpot / scale));
        double sTtft = Median(simulated.Select(o => o.TtftSeconds));
        double sTpot = Median(simulated.Select(o => o.TpotSeconds));
        string figures = $"p50 TTFT simulated {sTtft:F4} s, live {dueTtft:F4} s scheduled, {liveTtft:F4} s emitted; " +
                         $"TPOT simulated {sTpot:F4} s, live {dueTpot:F4} s scheduled, {liveTpot:F4} s emitted";
        // The engine's schedule on the wall clock follows the simulation; emission can only be later than scheduled
        // (by the host's timer and thread wake-up latency, which the serving benchmark measures).
        Assert.True(Math.Abs(dueTtft - sTtft) / sTtft < 0.10, figures);
        Assert.True(Math.Abs(dueTpot - sTpot) / sTpot < 0.10, figures);
        Assert.True(liveTtft >= dueTtft * 0.999, figures);
    }

    private static double Median(IEnumerable<double> values)
    {
        var a = values.Order().ToArray();
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    [Fact]
    public async Task Two_hundred_concurrent_streams_all_finish_with_the_requested_token_counts()
    {
        using var engine = new LiveEngine(Setup(new ConstantStepTimeModel(1e-5, 0.01, 0.002)), 0.1, 1000);
        var requested = Enumerable.Range(0, 200).Select(i => 1 + i % 48).ToArray();
        var outcomes = await Task.WhenAll(requested.Select(n => Drain(engine.Submit(100 + n, null, n))));
        Assert.Equal(requested, outcomes.Select(o => o.CompletionTokens).ToArray());
        var stats = engine.Stats();
        Assert.Equal(200, stats.Completed);
        Assert.Equal(requested.Sum(), stats.GenerationTokens);
        Assert.Equal(0, stats.Running + stats.Waiting);
        Assert.Equal(0, stats.KvCacheUsage);
    }

    [Fact]
    public async Task A_cancelled_stream_frees_its_kv_blocks()
    {
        using var engine = new LiveEngine(Setup(new ConstantStepTimeModel(1e-5, 0.01, 0.002)), 1, 100);
        var h = engine.Submit(8000, null, 5000);
        await foreach (var e in h.Events.ReadAllAsync())
            if (e.Kind == LiveEventKind.Tokens) break;
        Assert.True(engine.Stats().KvCacheUsage > 0);
        engine.Cancel(h);
        var kinds = new List<LiveEventKind>();
        await foreach (var e in h.Events.ReadAllAsync()) kinds.Add(e.Kind);
        Assert.Equal(LiveEventKind.Cancelled, kinds[^1]);
        var stats = engine.Stats();
        Assert.Equal(0, stats.KvCacheUsage);
        Assert.Equal(1, stats.Cancelled);
        Assert.Equal(0, stats.Running);
    }

    [Fact]
    public async Task A_repeated_prompt_hits_the_prefix_cache_and_is_faster_the_second_time()
    {
        using var engine = new LiveEngine(Setup(), 0.2, 100);
        var ids = Enumerable.Range(0, 2100).Select(i => (i * 7919) % 100_000).ToArray();
        var (first, firstDue, _) = await Timed(engine.Submit(ids.Length, PromptHashes.Of(ids), 4));
        var (second, secondDue, _) = await Timed(engine.Submit(ids.Length, PromptHashes.Of(ids), 4));
        Assert.Equal(0, first.CachedTokens);
        Assert.Equal(4 * WorkloadSource.HashBlockTokens, second.CachedTokens);
        // The schedule (when the first token was due) shows the cached prefill; emission follows it, later by the
        // thread's wake-up latency, which a loaded machine stretches.
        string figures = $"TTFT scheduled {firstDue * 1e3:F1} ms then {secondDue * 1e3:F1} ms, emitted " +
                         $"{first.TtftSeconds * 1e3:F1} ms then {second.TtftSeconds * 1e3:F1} ms";
        Assert.True(secondDue < firstDue * 0.6, figures);
        Assert.True(second.TtftSeconds < first.TtftSeconds, figures);
        Assert.True(engine.Stats().PrefixCacheHitRate > 0.4);
        var other = ids.Select(i => i + 1).ToArray();
        Assert.Equal(0, (await Drain(engine.Submit(other.Length, PromptHashes.Of(other), 4))).CachedTokens);
    }

    [Fact]
    public void A_full_queue_refuses_and_an_unservable_request_is_refused_before_it_queues()
    {
        using var engine = new LiveEngine(Setup(kvTokens: 10_000), 1, 2);
        engine.Submit(10, null, 1000);
        engine.Submit(10, null, 1000);
        Assert.Throws<Platform.Modeling.Errors.LimitExceededException>(() => engine.Submit(10, null, 10));
        Assert.Throws<Platform.Modeling.Errors.PreconditionFailedException>(() => engine.Submit(9_000, null, 2_000));
    }
}
