using System.Threading.Channels;

namespace InferenceScheduler.Domain.Live;

/// <summary>What happens to a live request, in order: queued, scheduled, tokens (preempted and resumed between
/// them), then finished or cancelled.</summary>
public enum LiveEventKind { Queued, Scheduled, Tokens, Preempted, Resumed, Finished, Cancelled }

/// <summary>
/// One event of a live request. <see cref="Seconds"/> is the wall time since the request arrived when the engine
/// emitted it; for tokens <see cref="ScheduledSeconds"/> is when the step that sampled them was due to end (the step
/// time model's time × the deployment's time scale), so a client can measure its own jitter against it.
/// <see cref="Outcome"/> is set on <see cref="LiveEventKind.Finished"/> and <see cref="LiveEventKind.Cancelled"/>.
/// </summary>
public readonly record struct LiveEvent(LiveEventKind Kind, double Seconds, int Tokens = 0, double ScheduledSeconds = 0,
    int Replica = 0, LiveOutcome? Outcome = null);

/// <summary>
/// A finished (or cancelled) request: token counts and its latencies in wall seconds (divide by the deployment's time
/// scale for the model's time). TPOT = (E2E - TTFT) / (completion tokens - 1), as vLLM's benchmark.
/// </summary>
public sealed record LiveOutcome(int PromptTokens, int CompletionTokens, int CachedTokens, int Preemptions,
    double QueueSeconds, double TtftSeconds, double TpotSeconds, double E2eSeconds, int Replica, bool Cancelled)
{
    /// <summary>The request ended at its end of sequence before max_tokens (finish reason "stop", else
    /// "length").</summary>
    public bool StoppedAtEos { get; init; }

    public string FinishReason => StoppedAtEos ? "stop" : "length";
}

/// <summary>
/// A request admitted into a <see cref="LiveEngine"/>: read its <see cref="Events"/> until they complete;
/// <see cref="LiveEngine.Cancel"/> it when the client goes away (its KV blocks are freed at once, or at the end of the
/// step it is part of).
/// </summary>
public sealed class LiveRequest
{
    private readonly LiveEventQueue _events = new();

    internal LiveRequest(int promptTokens, int maxTokens)
    {
        PromptTokens = promptTokens;
        MaxTokens = maxTokens;
    }

    public int PromptTokens { get; }
    public int MaxTokens { get; }
    /// <summary>For one reader; a token event is merged into tokens still waiting to be read (see
    /// <see cref="LiveEventQueue"/>). Waiting without a cancellation token allocates nothing: to stop reading when the
    /// client goes away, cancel the request (the events then end with <see cref="LiveEventKind.Cancelled"/>).</summary>
    public ChannelReader<LiveEvent> Events => _events;

    // Engine state, guarded by the engine's lock.
    internal int Slot = -1;
    internal double ArrivalWall;
    internal bool Scheduled, Preempted, CancelRequested, Done;

    internal void Post(in LiveEvent e) => _events.Post(e);

    internal void Complete(Exception? error = null) => _events.Complete(error);
}

/// <summary>Receives per-request figures as the engine produces them (called under the engine's lock: keep it
/// cheap).</summary>
public interface ILiveObserver
{
    /// <summary>Time between two consecutive tokens of one request, wall seconds.</summary>
    void InterTokenLatency(double seconds);

    void Finished(LiveOutcome outcome);
}

/// <summary>
/// A snapshot of a live deployment. Token counters are cumulative; <see cref="KvCacheUsage"/> is the share of KV
/// blocks held by requests (cached prefix blocks nobody uses count as free, as vLLM's kv_cache_usage_perc);
/// <see cref="GenerationTokensPerSecond"/> is over the last 10 s. <see cref="SchedulerSeconds"/> is host time spent
/// forming and ending steps; <see cref="LateWakeP99Seconds"/> the 99th percentile of how late a step ended against its
/// scheduled time.
/// </summary>
public sealed record LiveStats(int Waiting, int Running, long Preemptions, double KvCacheUsage,
    long PrefixQueryTokens, long PrefixHitTokens, long PromptTokens, long GenerationTokens, long Completed,
    long Cancelled, double GenerationTokensPerSecond, long Steps, double SchedulerSeconds, double LateWakeP99Seconds,
    long ScheduledRequestSteps)
{
    public double PrefixCacheHitRate => PrefixQueryTokens > 0 ? (double)PrefixHitTokens / PrefixQueryTokens : 0;
}
