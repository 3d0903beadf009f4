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

/// <summary>
/// Asks the training role to run a queued job: an estimate ("estimate") or a plan search ("plan") of a run given
/// in proto3 JSON (platform.training.v1.TrainingRunSpec: the submit request's run field). Progress and the result
/// are kept by the training role; a failed job names its field as the client sent it (run.cluster.count).
/// </summary>
public sealed record RunTrainingJob
{
    public required Guid JobId { get; init; }
    public required string Kind { get; init; }
    public required string RunSpecJson { get; init; }
    public int TopK { get; init; }
}

/// <summary>
/// Published when a training job finishes, for pipelines. On success <see cref="ResultJson"/> holds proto3 JSON
/// of platform.training.v1.TrainingEstimate ("estimate") or PlanParallelismResponse ("plan").
/// </summary>
public sealed record TrainingJobCompleted
{
    public required Guid JobId { get; init; }
    public required string Kind { get; init; }
    public required bool Succeeded { get; init; }
    public string? ResultJson { get; init; }
    public string? ErrorField { get; init; }
    public string? ErrorReason { get; init; }
}

/// <summary>
/// Asks the emulator to run (or, with execute=false, time) a batch of kernels as one job; answered and published as
/// <see cref="KernelBatchCompleted"/>. Idempotent on <see cref="JobId"/>: a redelivered job is answered from its first
/// result.
/// </summary>
public sealed record SubmitKernelBatch
{
    public required Guid JobId { get; init; }
    /// <summary>Device for kernels whose own "device" is empty.</summary>
    public required string Device { get; init; }
    /// <summary>Kernels in proto3 JSON (platform.emulator.v1.RunKernelRequest).</summary>
    public required IReadOnlyList<string> KernelsJson { get; init; }
}

/// <summary>
/// Result of a <see cref="SubmitKernelBatch"/> job; on bad input no kernel result is reported and the field is named.
/// </summary>
public sealed record KernelBatchCompleted
{
    public required Guid JobId { get; init; }
    public required string Device { get; init; }
    public required bool Succeeded { get; init; }
    /// <summary>Sum of the kernels' modelled device time.</summary>
    public double TotalDeviceSeconds { get; init; }
    /// <summary>
    /// Per-kernel results in proto3 JSON (platform.emulator.v1.RunKernelResponse), in submission order.
    /// </summary>
    public IReadOnlyList<string> ResultsJson { get; init; } = [];
    /// <summary>
    /// The request field at fault when <see cref="Succeeded"/> is false, e.g. "kernels[2].inputs[1].shape".
    /// </summary>
    public string? ErrorField { get; init; }
    public string? ErrorReason { get; init; }
    /// <summary>
    /// gRPC-style status name of the failure (InvalidArgument, NotFound, FailedPrecondition, ResourceExhausted).
    /// </summary>
    public string? ErrorCode { get; init; }
}

/// <summary>
/// Event: the emulator registered (or replaced) a custom device. Roles that cache device facts or op timings
/// (training-cost, inference-scheduler) drop what they hold for <see cref="DeviceId"/>; every instance receives it.
/// </summary>
public sealed record DeviceRegistered
{
    /// <summary>Identity of this event (consumers are idempotent on it).</summary>
    public required Guid JobId { get; init; }
    public required string DeviceId { get; init; }
    /// <summary>True when an earlier custom device of the same id was replaced.</summary>
    public required bool Replaced { get; init; }
    public required DateTimeOffset RegisteredAt { get; init; }
}

/// <summary>
/// Event: a caller cancelled a job (platform.jobs.v1.JobService/CancelJob). Every instance receives it; the one
/// running the job stops its work.
/// </summary>
public sealed record JobCancelRequested
{
    public required Guid JobId { get; init; }
    public required string Reason { get; init; }
}

/// <summary>
/// Asks an inference instance to run a serving capacity plan as a job: <see cref="PlanJson"/> is proto3 JSON of
/// platform.inference.v1.PlanCapacityRequest. Progress and the result are kept with the job
/// (platform.jobs.v1.JobService, kind "capacity-plan"); <see cref="CapacityPlanCompleted"/> is published when it
/// ends. Idempotent on <see cref="JobId"/>.
/// </summary>
public sealed record RunCapacityPlan
{
    public required Guid JobId { get; init; }
    public required string PlanJson { get; init; }
}

/// <summary>
/// Published when a capacity plan job ends. On success <see cref="ResultJson"/> holds proto3 JSON of
/// platform.inference.v1.PlanCapacityResponse; otherwise the field at fault (as in the plan, e.g.
/// "target_requests_per_second") and the reason.
/// </summary>
public sealed record CapacityPlanCompleted
{
    public required Guid JobId { get; init; }
    public required bool Succeeded { get; init; }
    public string? ResultJson { get; init; }
    public string? ErrorField { get; init; }
    public string? ErrorReason { get; init; }
}

/// <summary>
/// One probe of a capacity plan run by the inference fleet: the whole search of layout <see cref="Index"/> (of
/// <see cref="Layouts"/>, named <see cref="Label"/>) of the plan in <see cref="PlanJson"/> (proto3 JSON of
/// platform.inference.v1.PlanCapacityRequest). Any inference instance consumes it from one durable queue and
/// acknowledges it once the search has finished; <see cref="CapacityProbeCompleted"/> carries the result back. Skipped
/// when the job has ended (cancelled, failed or answered).
/// </summary>
public sealed record RunCapacityProbe
{
    public required Guid JobId { get; init; }
    public required int Index { get; init; }
    public required int Layouts { get; init; }
    public required string Label { get; init; }
    public required string PlanJson { get; init; }
}

/// <summary>
/// The result of one <see cref="RunCapacityProbe"/>: the layout's verdict (-1: it could not be simulated), replicas,
/// rate per replica, best attainment, simulations run, the rejection (platform.inference.v1.CapacityRejection) with
/// its detail, and the verified option (platform.inference.v1.CapacityOption, protobuf binary) when it meets the SLOs;
/// or, when the plan itself is at fault, the error (<see cref="ErrorCode"/>, field and reason). Every inference
/// instance receives it; the one running the plan assembles the answer.
/// </summary>
public sealed record CapacityProbeCompleted
{
    public required Guid JobId { get; init; }
    public required int Index { get; init; }
    public int Verdict { get; init; } = -1;
    public int Rejection { get; init; }
    public string Detail { get; init; } = "";
    public int Replicas { get; init; }
    public double MaxRatePerReplica { get; init; }
    public double BestAttainment { get; init; }
    public int Simulations { get; init; }
    public byte[]? Option { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorField { get; init; }
    public string? ErrorReason { get; init; }
    /// <summary>The instance that ran the probe (for logs).</summary>
    public string? Worker { get; init; }
}

/// <summary>
/// Asks an inference instance to run one simulation as a job: <see cref="RequestJson"/> is proto3 JSON of
/// platform.inference.v1.SimulateWorkloadRequest. Progress (share of requests simulated) and the result (the
/// SimulateWorkloadResponse) are kept with the job (platform.jobs.v1.JobService, kind "simulation"). Idempotent on
/// <see cref="JobId"/>.
/// </summary>
public sealed record RunSimulationJob
{
    public required Guid JobId { get; init; }
    public required string RequestJson { get; init; }
}
