namespace Platform.Contracts.Messaging;

// Bus messages: commands are verb-noun, events past tense. Every message carries a job id and
// consumers are idempotent on it. Wire format: MassTransit's JSON envelope, documented in docs/API.md.

/// <summary>Asks the emulator to model a batch of operations; answered with <see cref="OpsEstimated"/>.</summary>
public sealed record EstimateOpsCommand
{
    public required Guid JobId { get; init; }
    public required string Device { get; init; }
    /// <summary>Operations in proto3 JSON (platform.emulator.v1.OpSpec), so any language can publish.</summary>
    public required IReadOnlyList<string> OpsJson { get; init; }
}

/// <summary>Reply to <see cref="EstimateOpsCommand"/>.</summary>
public sealed record OpsEstimated
{
    public required Guid JobId { get; init; }
    public required string Device { get; init; }
    public required double TotalDeviceSeconds { get; init; }
    /// <summary>Per-op timings in proto3 JSON (platform.emulator.v1.OpTiming).</summary>
    public required IReadOnlyList<string> TimingsJson { get; init; }
}

/// <summary>Reply when a bus command cannot be carried out (bad input names the field).</summary>
public sealed record CommandRejected
{
    public required Guid JobId { get; init; }
    public required string Field { get; init; }
    public required string Reason { get; init; }
}
