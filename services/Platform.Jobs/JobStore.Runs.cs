using System.Collections.Concurrent;

namespace Platform.Jobs;

public sealed partial class JobStore
{
    /// <summary>The message a job cancelled by a caller carries.</summary>
    public const string CancelledMessage = "cancelled";

    // The work of jobs running in this process, so a cancellation can stop it.
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _runs = new();

    /// <summary>
    /// Marks the job running here and returns the run: its token is cancelled when the job is cancelled (here or,
    /// through <see cref="CancelRun"/>, on another instance) or when <paramref name="stopping"/> fires. Dispose the
    /// run when the work ends.
    /// </summary>
    public JobRun StartRun(Guid id, double progress, params CancellationToken[] stopping)
    {
        var cts = stopping.Length == 0 ? new CancellationTokenSource()
            : CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _runs[id] = cts;
        var job = Update(id, j => j with { Status = JobStatus.Running, Message = "running", Progress = progress });
        // Cancelled (or finished elsewhere) before it started: the work stops at once.
        if (job.Finished) cts.Cancel();
        return new JobRun(this, id, cts);
    }

    /// <summary>
    /// Cancels a queued or running job: it ends <see cref="JobStatus.Cancelled"/> with <paramref name="reason"/>, and
    /// its work stops if it runs in this process (the caller tells other instances, which call
    /// <see cref="CancelRun"/>). A job already finished is returned as it is.
    /// </summary>
    public JobSnapshot Cancel(Guid id, string reason)
    {
        var job = Update(id, j => j with
        {
            Status = JobStatus.Cancelled,
            Message = CancelledMessage,
            ErrorReason = reason,
            ErrorCode = "Cancelled",
        });
        CancelRun(id, reason);
        return job;
    }

    /// <summary>
    /// Stops this process's work on the job, if it runs here, because it was cancelled (possibly on another
    /// instance): the job here takes the cancelled state too.
    /// </summary>
    /// <returns>Whether the job's work was running here.</returns>
    public bool CancelRun(Guid id, string reason)
    {
        if (!_runs.TryGetValue(id, out var cts)) return false;
        Update(id, j => j with
        {
            Status = JobStatus.Cancelled,
            Message = CancelledMessage,
            ErrorReason = reason,
            ErrorCode = "Cancelled",
        });
        try { cts.Cancel(); }
        catch (ObjectDisposedException) { } // the run ended meanwhile
        return true;
    }

    /// <summary>
    /// Where a job's work reports its progress (0..1): it only moves forward and stays below 1 until the job
    /// finishes.
    /// </summary>
    public IProgress<double> ProgressOf(Guid id) => new JobProgress(this, id);

    /// <summary>Reports synchronously, on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
    private sealed class JobProgress(JobStore jobs, Guid id) : IProgress<double>
    {
        public void Report(double value) =>
            jobs.Update(id, j => j with { Progress = Math.Max(j.Progress, Math.Clamp(value, 0, 0.99)) });
    }

    private void EndRun(Guid id, CancellationTokenSource cts)
    {
        _runs.TryRemove(new KeyValuePair<Guid, CancellationTokenSource>(id, cts));
        cts.Dispose();
    }

    /// <summary>The work of one job in this process (see <see cref="StartRun"/>).</summary>
    public sealed class JobRun : IDisposable
    {
        private readonly JobStore _store;
        private readonly CancellationTokenSource _cts;
        private int _disposed;

        internal JobRun(JobStore store, Guid id, CancellationTokenSource cts)
        {
            _store = store;
            Id = id;
            _cts = cts;
            Token = cts.Token;
        }

        public Guid Id { get; }

        /// <summary>Cancelled when the job is cancelled or the host stops.</summary>
        public CancellationToken Token { get; }

        /// <summary>Whether the job ended cancelled by a caller (rather than its work stopped by the host).</summary>
        public bool CancelledByCaller => _store.TryGet(Id, out var j) && j.Status == JobStatus.Cancelled;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) _store.EndRun(Id, _cts);
        }
    }
}
