using System.ComponentModel.DataAnnotations;

namespace Platform.ServiceDefaults;

/// <summary>
/// How the bus delivers and publishes (section "Platform:Bus"): how many messages a consumer holds and runs at once,
/// how a transient failure is retried before the message goes to its queue's _error queue, and how long a caller
/// waits for a publish before it is told the bus is unreachable.
/// </summary>
public sealed class BusDeliveryOptions
{
    public const string Section = "Platform:Bus";

    /// <summary>Messages RabbitMQ hands a receive endpoint ahead of its acknowledgements (unacknowledged window).
    /// </summary>
    [Range(1, 1000)]
    public int PrefetchCount { get; set; } = 16;

    /// <summary>Messages one receive endpoint consumes at the same time.</summary>
    [Range(1, 1000)]
    public int ConcurrentMessageLimit { get; set; } = 8;

    /// <summary>Retries of a consumer that failed with a transient error (0: none), at exponential intervals.</summary>
    [Range(0, 20)]
    public int RetryCount { get; set; } = 3;

    /// <summary>First retry interval; each further retry waits longer, up to <see cref="RetryMaxInterval"/>.</summary>
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between two retries.</summary>
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How much the interval grows, scaled by 2^attempt.</summary>
    public TimeSpan RetryIntervalDelta { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Longest a request waits for the broker to take a message it publishes (e.g. a submitted job); longer, the
    /// request fails with Unavailable naming the message bus instead of hanging to the caller's deadline.
    /// </summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
