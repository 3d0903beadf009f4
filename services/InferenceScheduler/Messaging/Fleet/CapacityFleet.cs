using System.Collections.Concurrent;
using Google.Protobuf;
using InferenceScheduler.Application.Capacity;
using InferenceScheduler.Domain.Capacity;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Contracts.Inference.V1;
using Platform.Contracts.Messaging;
using Platform.ServiceDefaults;

namespace InferenceScheduler.Messaging.Fleet;

/// <summary>
/// The inference fleet's side of distributed capacity plans, one per instance. As coordinator it publishes a plan's
/// probes (<see cref="RunCapacityProbe"/>, one per layout) and hands their results back to the plan as they arrive;
/// as worker it knows which jobs have ended, so their probes are skipped and running ones stop.
/// </summary>
public sealed class CapacityFleet(IOptions<CapacityFleetOptions> options, IConfiguration configuration,
    ILogger<CapacityFleet> logger)
{
    /// <summary>
    /// Whether plans are spread over the fleet: on RabbitMQ; with the in-memory bus a plan runs in this process.
    /// </summary>
    public bool Distributed { get; } = BusExtensions.UsesRabbitMq(configuration);

    private const int MaxEndedKept = 4096, PlansKept = 8;
    private readonly ConcurrentDictionary<Guid, Pending> _pending = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _ended = new();
    private readonly ConcurrentDictionary<Guid, (Guid Job, CancellationTokenSource Cts)> _probes = new();

    /// <summary>As worker: the plans of the jobs whose probes this instance runs, each prepared once.</summary>
    internal PreparedPlanCache<PreparedPlan> PreparedPlans { get; } = new(PlansKept);

    /// <summary>
    /// The layout searches of job <paramref name="jobId"/> run by the fleet: each layout a probe published through
    /// <paramref name="publish"/>, each result handed to the plan. Waits at most
    /// <see cref="CapacityFleetOptions.ResultTimeout"/> for each next result (then republishes the outstanding probes
    /// once, then fails the job).
    /// </summary>
    public LayoutSearches Searches(Guid jobId, string planJson, IPublishEndpoint publish) =>
        async (labels, report, ct) =>
        {
            var pending = new Pending(labels.Count, report);
            _pending[jobId] = pending;
            try
            {
                await PublishAsync(jobId, planJson, labels, Enumerable.Range(0, labels.Count), publish);
                var timeout = options.Value.ResultTimeout;
                bool republished = false;
                while (!pending.Complete)
                {
                    if (await pending.WaitAsync(timeout, ct)) continue;
                    var missing = pending.Outstanding();
                    if (republished)
                        throw new FleetFailure("DeadlineExceeded", "workers",
                            $"no inference instance reported {missing.Count} of the plan's {labels.Count} layout " +
                            $"searches within {timeout.TotalSeconds:0} s (twice); check that inference instances " +
                            "are running and consuming the capacity probe queue, then submit the plan again");
                    logger.LogWarning("Capacity plan job {JobId}: no result for {Seconds} s; publishing its " +
                                      "{Outstanding} outstanding probes again", jobId, timeout.TotalSeconds,
                        missing.Count);
                    await PublishAsync(jobId, planJson, labels, missing, publish);
                    republished = true;
                }
            }
            finally
            {
                _pending.TryRemove(new KeyValuePair<Guid, Pending>(jobId, pending));
            }
        };

    /// <summary>Publishes the probes whole: a job cancelled meanwhile does not cut the batch short (the transport
    /// would report the cut as a send fault); workers skip the probes of a job that has ended.</summary>
    private static Task PublishAsync(Guid jobId, string planJson, IReadOnlyList<string> labels,
        IEnumerable<int> indices, IPublishEndpoint publish) =>
        publish.PublishBatch(indices.Select(i => new RunCapacityProbe
        {
            JobId = jobId, Index = i, Layouts = labels.Count, Label = labels[i], PlanJson = planJson,
        }), CancellationToken.None);

    /// <summary>A probe's result: handed to its plan if this instance runs it (ignored otherwise).</summary>
    public void Deliver(CapacityProbeCompleted m)
    {
        if (!_pending.TryGetValue(m.JobId, out var pending)) return;
        if (m.ErrorCode is not null)
        {
            pending.Fail(new FleetFailure(m.ErrorCode, m.ErrorField ?? "plan", m.ErrorReason ?? "failed"));
            return;
        }
        pending.Add(new LayoutReport(m.Index, (CapacityRejection)m.Rejection, m.Detail,
            m.Verdict < 0 ? null : (LayoutVerdict)m.Verdict, m.Replicas, m.MaxRatePerReplica, m.BestAttainment,
            m.Simulations, m.Option is { Length: > 0 } b ? CapacityOption.Parser.ParseFrom(b) : null));
    }

    /// <summary>The message carrying <paramref name="r"/> of job <paramref name="jobId"/> back.</summary>
    public static CapacityProbeCompleted Completed(Guid jobId, LayoutReport r, string worker) => new()
    {
        JobId = jobId, Index = r.Index, Verdict = r.Verdict is { } v ? (int)v : -1, Rejection = (int)r.Rejection,
        Detail = r.Detail, Replicas = r.Replicas, MaxRatePerReplica = r.MaxRatePerReplica,
        BestAttainment = r.BestAttainment, Simulations = r.Simulations, Option = r.Option?.ToByteArray(),
        Worker = worker,
    };

    /// <summary>The job ended (cancelled, failed or answered): its probes are skipped and running ones stop, its
    /// prepared plan is dropped.</summary>
    public void End(Guid jobId)
    {
        _ended[jobId] = DateTimeOffset.UtcNow;
        PreparedPlans.Remove(jobId);
        if (_ended.Count > MaxEndedKept)
            foreach (var old in _ended.OrderBy(e => e.Value).Take(_ended.Count - MaxEndedKept / 2).ToList())
                _ended.TryRemove(old);
        foreach (var (job, cts) in _probes.Values)
            if (job == jobId)
                try { cts.Cancel(); }
                catch (ObjectDisposedException) { } // the probe finished meanwhile
    }

    /// <summary>Whether this instance has heard that the job ended.</summary>
    public bool Ended(Guid jobId) => _ended.ContainsKey(jobId);

    /// <summary>A token for one probe of the job: cancelled when the job ends or <paramref name="ct"/> fires.</summary>
    public ProbeRun StartProbe(Guid jobId, CancellationToken ct)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var key = Guid.NewGuid();
        _probes[key] = (jobId, cts);
        if (Ended(jobId)) cts.Cancel();
        return new ProbeRun(this, key, cts);
    }

    /// <summary>One probe running here (<see cref="StartProbe"/>); dispose when it ends.</summary>
    public sealed class ProbeRun(CapacityFleet fleet, Guid key, CancellationTokenSource cts) : IDisposable
    {
        public CancellationToken Token => cts.Token;

        public void Dispose()
        {
            fleet._probes.TryRemove(key, out _);
            cts.Dispose();
        }
    }

    /// <summary>A plan waiting for its layouts' results.</summary>
    private sealed class Pending(int layouts, Action<LayoutReport> report)
    {
        private readonly bool[] _in = new bool[layouts];
        private readonly Lock _gate = new();
        private int _done;
        private FleetFailure? _failure;
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Complete
        {
            get
            {
                lock (_gate)
                {
                    if (_failure is not null) throw _failure;
                    return _done == layouts;
                }
            }
        }

        public List<int> Outstanding()
        {
            lock (_gate) return Enumerable.Range(0, layouts).Where(i => !_in[i]).ToList();
        }

        public void Add(LayoutReport r)
        {
            lock (_gate)
            {
                if (r.Index < 0 || r.Index >= layouts || _in[r.Index]) return;
                _in[r.Index] = true;
                _done++;
            }
            report(r);
            Signal();
        }

        public void Fail(FleetFailure f)
        {
            lock (_gate) _failure ??= f;
            Signal();
        }

        private void Signal()
        {
            TaskCompletionSource old;
            lock (_gate)
            {
                old = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            old.TrySetResult();
        }

        /// <summary>Whether a result (or a failure) arrived within <paramref name="timeout"/>.</summary>
        public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
        {
            Task changed;
            lock (_gate)
            {
                if (_failure is not null || _done == layouts) return true;
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(timeout, ct);
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
    }
}
