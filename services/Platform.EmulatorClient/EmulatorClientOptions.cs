using System.ComponentModel.DataAnnotations;

namespace Platform.EmulatorClient;

/// <summary>Settings of the emulator client (section <c>Platform:EmulatorClient</c>).</summary>
public sealed class EmulatorClientOptions
{
    public const string Section = "Platform:EmulatorClient";

    /// <summary>Deadline of every gRPC call to the emulator.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Attempts per call when the emulator answers Unavailable (gRPC retry policy, exponential backoff).
    /// </summary>
    [Range(1, 5)]
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Ops per EstimateOps call (keeps messages well under gRPC's size limit).</summary>
    [Range(1, 100_000)]
    public int OpsPerCall { get; set; } = 4000;

    /// <summary>Op times kept in the process-wide cache before it is cleared.</summary>
    [Range(1_000, 100_000_000)]
    public int MaxCachedOpTimes { get; set; } = 2_000_000;
}
