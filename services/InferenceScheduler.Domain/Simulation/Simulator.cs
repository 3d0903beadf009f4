using InferenceScheduler.Domain.Simulation.Policies;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Simulation;

/// <summary>
/// Discrete-event serving simulator. Events are arrivals (pulled lazily from the workload, already in time order), step
/// completions (one per busy lockstep group) and KV-transfer completions, kept in a binary heap. Each instance runs
/// engine steps back to back while it has work; step time comes from its pool's <see cref="IStepTimeModel"/>. The
/// decisions belong to policies: <see cref="IRouter"/> places requests on instances, each <see cref="Instance"/> forms
/// its batches (queue, batch and KV-cache policies), <see cref="IKvTransfer"/> moves prefilled KV to the decode pool.
/// State lives in a reusable <see cref="RequestTable"/>, metrics in a <see cref="MetricsRecorder"/>, so memory is
/// bounded by the requests in flight.
/// </summary>
public sealed class Simulator
{
    private const int EventStep = 0, EventTransfer = 1;
    private readonly SimulationSetup _setup;
    private readonly ServingPools _pools;
    private readonly IRouter _router;
    /// <summary>Null when colocated: the prefill pool then serves whole requests.</summary>
    private readonly IKvTransfer? _transfer;
    private readonly RequestTable _reqs = new();
    private readonly PriorityQueue<(int Kind, int Id), (double Time, long Seq)> _events = new();
    private long _seq, _handled;
    private MetricsRecorder _metrics = null!;
    private Action<RequestOutcome>? _sink;
    private readonly WorkloadCheck _check;
    private WorkloadSource _source = null!;
    private bool _checkOnArrival;

    public Simulator(SimulationSetup setup)
    {
        _setup = setup;
        _check = new WorkloadCheck(setup);
        _pools = new ServingPools(setup);
        _router = Router.For(setup.Router);
        if (setup.Decode is not null)
            _transfer = new LinkKvTransfer(setup.Prefill.KvBytesPerTokenPerAccelerator, setup.KvTransferBytesPerSecond,
                setup.KvTransferLatencySeconds, _pools.Instances.Length);
    }

    /// <summary>
    /// Simulates the workload to the end. Every request is validated first (<see cref="WorkloadCheck"/>) on a replay of
    /// <paramref name="source"/>, so bad input fails before <paramref name="sink"/> sees any outcome; a source that
    /// cannot be replayed is checked request by request on arrival instead.
    /// </summary>
    public SimulationResult Run(WorkloadSource source, Action<RequestOutcome>? sink = null,
        CancellationToken ct = default)
    {
        _source = source;
        _checkOnArrival = !_check.CheckAll(source, ct);
        _sink = sink;
        double width = _setup.TimelineWidthSeconds > 0 ? _setup.TimelineWidthSeconds
            : Math.Max(1e-3, source.ExpectedSpanSeconds / 100);
        _metrics = new MetricsRecorder(_setup, _pools.Setups.Count, width, _pools.Instances.Length);

        bool more = source.TryNext(out var next);
        long count = 0;
        while (true)
        {
            double eventTime = _events.TryPeek(out _, out var key) ? key.Time : double.PositiveInfinity;
            if (more && next.ArrivalSeconds <= eventTime)
            {
                _metrics.Advance(next.ArrivalSeconds);
                Arrive(next, count++);
                more = source.TryNext(out next);
                if ((count & 4095) == 0) ct.ThrowIfCancellationRequested();
                continue;
            }
            if (!_events.TryDequeue(out var ev, out key)) break;
            if ((++_handled & 65535) == 0) ct.ThrowIfCancellationRequested();
            _metrics.Advance(key.Time);
            if (ev.Kind == EventStep) EndGroupStep(ev.Id, key.Time);
            else EndTransfer(ev.Id, key.Time);
        }
        // Unreachable for validated input (WorkloadCheck rules out both causes); kept so a gap can never pass as a
        // result.
        long completed = _metrics.Completed;
        if (completed != count)
            throw new PreconditionFailedException("deployment",
                $"{count - completed} of {count} requests could never be scheduled " +
                "(a prompt longer than max_num_batched_tokens without chunked prefill, or a KV cache too small for " +
                "one request)");
        return _metrics.Finish(_pools);
    }

    private void Arrive(in TraceRequest t, long index)
    {
        if (_checkOnArrival) _check.Check(_source, index, t);
        int slot = _reqs.Add();
        ref var r = ref _reqs[slot];
        r.Index = index;
        r.Arrival = t.ArrivalSeconds;
        r.Input = t.InputTokens;
        r.Output = t.OutputTokens;
        r.Hashes = t.HashIds;
        r.Priority = _setup.PriorityClasses > 1 ? (int)(index % _setup.PriorityClasses) : 0;
        r.Pool = 0;
        _metrics.Arrived();
        Join(_router.Route(r, _pools.Prefill), slot, t.ArrivalSeconds);
    }

    /// <summary>The request waits on <paramref name="inst"/>, which starts a step if it was idle.</summary>
    private void Join(Instance inst, int slot, double now)
    {
        _reqs[slot].Instance = inst.Id;
        inst.Outstanding++;
        inst.Enqueue(_reqs.Slots, slot, front: false);
        TryStart(inst, now);
    }

    /// <summary>
    /// Starts a step of the instance's lockstep group if it is idle and has work. DP ranks of one expert-parallel group
    /// meet in every MoE all-to-all, so they step together and the step lasts as long as the slowest rank's batch
    /// (ranks with no work join with an empty batch, as vLLM's dummy batches). Without EP a group is one instance.
    /// </summary>
    private void TryStart(Instance any, double now)
    {
        if (!_pools.TrySchedule(any.Group, _reqs.Slots, now, out double dt)) return;
        _metrics.StepStarted();
        foreach (var inst in _pools.Groups[any.Group])
            if (inst.Scheduled.Count > 0) _metrics.Step(inst, now, dt);
        _events.Enqueue((EventStep, any.Group), (now + dt, _seq++));
    }

    private void EndGroupStep(int group, double now)
    {
        var members = _pools.Groups[group];
        members[0].Busy = false;
        foreach (var inst in members)
            if (inst.Scheduled.Count > 0) EndStep(inst, now);
        TryStart(members[0], now);
    }

    /// <summary>Whether requests on pool <paramref name="pool"/> leave it after their first token (the prefill pool of
    /// a disaggregated run).</summary>
    private bool PrefillOnly(int pool) => _transfer is not null && pool == 0;

    private void EndStep(Instance inst, double now)
    {
        bool anyDone = false;
        int pool = inst.PoolIndex;
        inst.EndStep(_reqs.Slots);
        var sampled = inst.Sampled;
        for (int k = 0; k < sampled.Count; k++)
        {
            ref var r = ref _reqs[sampled[k]];
            _metrics.TokenSampled(pool, ref r, now, r.Emitted);
            if (r.Generated >= r.Output || PrefillOnly(pool)) anyDone = true;
        }
        if (anyDone) RemoveDone(inst, now);
    }

    private void RemoveDone(Instance inst, double now)
    {
        var running = inst.Running;
        bool prefillOnly = PrefillOnly(inst.PoolIndex);
        for (int i = 0; i < running.Count; i++)
        {
            int slot = running[i];
            ref var r = ref _reqs[slot];
            bool done = r.Generated >= r.Output;
            bool handOff = !done && prefillOnly && r.Generated >= 1;
            if (!done && !handOff) continue;
            running.RemoveAt(i--);
            if (done)
            {
                inst.ReleaseBlocks(ref r);
                inst.Outstanding--;
                Complete(slot, now);
            }
            else _events.Enqueue((EventTransfer, slot), (_transfer!.Start(inst, r.Input, now), _seq++));
        }
    }

    /// <summary>The prompt's KV has reached the decode pool: the prefill instance lets go, a decode instance takes
    /// over.</summary>
    private void EndTransfer(int slot, double now)
    {
        ref var r = ref _reqs[slot];
        var src = _pools.Instances[r.Instance];
        src.ReleaseBlocks(ref r);
        src.Outstanding--;
        TryStart(src, now);
        r.Pool = 1;
        r.Computed = r.Input; // the prompt's KV arrived; the first sampled token is decoded next
        Join(_router.Route(r, _pools.Decode), slot, now);
    }

    private void Complete(int slot, double now)
    {
        var outcome = _metrics.Complete(_reqs[slot], now);
        _sink?.Invoke(outcome);
        _reqs.Free(slot);
    }
}
