namespace Platform.Jobs;

/// <summary>A finished job's id and when it finished (the order retention evicts in).</summary>
public readonly record struct FinishedJob(Guid Id, DateTimeOffset FinishedAt);

/// <summary>
/// Where the <see cref="JobStore"/> keeps jobs so they outlive the process and are shared by every instance on the
/// same database (a port: the database adapter implements it in infrastructure). The job's result is opaque here;
/// the adapter encodes it through an <see cref="IJobResultCodec"/>. A store that cannot be reached throws
/// <see cref="Platform.Modeling.Errors.DependencyUnavailableException"/>.
/// </summary>
public interface IJobRepository
{
    /// <summary>
    /// Inserts the job or replaces the stored row of the same id — unless the stored row is already final, which is
    /// never replaced (a job finishes once, whichever instance finishes it first). Returns the row as stored after the
    /// call: <paramref name="job"/>, or the final row that was kept.
    /// </summary>
    JobSnapshot Save(JobSnapshot job);

    /// <summary>The stored job, or null.</summary>
    JobSnapshot? Find(Guid id);

    /// <summary>One page of jobs matching <paramref name="query"/>, newest first (then by id).</summary>
    IReadOnlyList<JobSnapshot> List(JobQuery query, CancellationToken ct);

    /// <summary>Deletes the jobs of these ids (ids not stored are ignored).</summary>
    void Delete(IReadOnlyCollection<Guid> ids);

    /// <summary>Every finished job's id and finish time, oldest first.</summary>
    IReadOnlyList<FinishedJob> ListFinished(CancellationToken ct);

    /// <summary>
    /// Marks every queued or running job failed with <paramref name="message"/>, finished at
    /// <paramref name="at"/>; returns how many.
    /// </summary>
    int FailUnfinished(string message, DateTimeOffset at, CancellationToken ct);
}

/// <summary>
/// Encodes a job's result (the caller's wire message, opaque to the domain) as a type tag and bytes, and back.
/// Implemented by the transport adapter, which knows the message types.
/// </summary>
public interface IJobResultCodec
{
    (string Type, byte[] Data) Encode(object result);

    object Decode(string type, byte[] data);
}
