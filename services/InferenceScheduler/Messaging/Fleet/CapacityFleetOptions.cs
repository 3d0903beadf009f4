using System.ComponentModel.DataAnnotations;

namespace InferenceScheduler.Messaging.Fleet;

/// <summary>
/// How a capacity plan job is spread over the inference fleet (section "Platform:Capacity"), when the bus is RabbitMQ.
/// </summary>
public sealed class CapacityFleetOptions
{
    public const string Section = "Platform:Capacity";

    /// <summary>
    /// Layout searches one instance runs at once; RabbitMQ hands it no more than that ahead (the prefetch), so idle
    /// instances take the rest. Default: the instance's cores.
    /// </summary>
    [Range(1, 1024)]
    public int ProbeConcurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Longest a plan waits for its next layout result. Past it the outstanding probes are published again once; past
    /// it a second time the job fails saying how many layouts no instance answered.
    /// </summary>
    public TimeSpan ResultTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
