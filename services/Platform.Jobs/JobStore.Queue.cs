namespace Platform.Jobs;

public sealed partial class JobStore
{
    /// <summary>
    /// Records a queued job of <paramref name="kind"/> and hands it to whatever runs it with
    /// <paramref name="handOff"/> (e.g. publishes its command on the bus, given the job's id). When the hand-off
    /// fails or is cancelled the job is discarded, so no record is left of a job the caller was told was not
    /// accepted, and the error propagates. Past <see cref="JobStoreOptions.MaxActiveJobs"/> nothing is handed off.
    /// </summary>
    public async Task<JobSnapshot> QueueAsync(string kind, Func<Guid, CancellationToken, Task> handOff,
        CancellationToken ct)
    {
        var job = Create(kind);
        try
        {
            await handOff(job.Id, ct);
        }
        catch
        {
            Discard(job.Id);
            throw;
        }
        return job;
    }
}
