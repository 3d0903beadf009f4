namespace Platform.Jobs;

/// <summary>Where a job is in its life. Succeeded, Failed and Cancelled are final.</summary>
public enum JobStatus { Queued, Running, Succeeded, Failed, Cancelled }

/// <summary>
/// A snapshot of a job of any kind (a training estimate or plan search, a kernel batch, ...). The result is kept as
/// the submitting adapter's wire message (opaque here). Times are UTC and set by the <see cref="JobStore"/>.
/// </summary>
/// <param name="Kind">What the job does, e.g. "estimate", "plan" (training) or "kernel-batch" (emulator).</param>
/// <param name="Progress">0..1.</param>
/// <param name="ErrorField">The input field at fault when the job failed on bad input.</param>
/// <param name="ErrorReason">Why the job failed or was cancelled.</param>
/// <param name="ErrorCode">The gRPC status name of the failure (InvalidArgument, NotFound, ...), when known.</param>
public sealed record JobSnapshot(Guid Id, string Kind, JobStatus Status, double Progress, string Message,
    object? Result = null, string? ErrorField = null, string? ErrorReason = null, string? ErrorCode = null)
{
    public bool Finished => IsFinal(Status);

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the job last changed (progress moves are written in steps, see the store).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When the job reached a final state; null before.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    public static bool IsFinal(JobStatus s) => s is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;
}

/// <summary>Which jobs a listing returns, newest first; null filters match everything.</summary>
/// <param name="After">The last job of the previous page (its creation time and id), or null for the first.</param>
public sealed record JobQuery(string? Kind, JobStatus? Status, int PageSize,
    (DateTimeOffset CreatedAt, Guid Id)? After);
