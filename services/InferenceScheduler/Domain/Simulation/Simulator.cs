using InferenceScheduler.Domain.Metrics;
using InferenceScheduler.Domain.Timing;
using InferenceScheduler.Domain.Workloads;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Simulation;

/// <summary>
/// Discrete-event serving simulator. Events are arrivals (pulled lazily from the workload, already in time order), step
/// completions (one per busy instance) and KV-transfer completions, kept in a binary heap. Each instance runs engine
/// steps back to back while it has work; step time comes from its pool's <see cref="IStepTimeModel"/>. State lives in
/// a reusable slot table, metrics in fixed-size histograms, so memory is bounded by the requests in flight.
/// </summary>
public sealed class Simulator
{
    private const int EventStep = 0, EventTransfer = 1;
    private readonly SimulationSetup _setup;
    private readonly Instance[] _instances;
    private readonly Instance[][] _groups;
    private readonly int _prefillCount;
    private RequestState[] _reqs = new RequestState[256];
    private readonly Stack<int> _freeSlots = new();
    private int _slotCount;
    private readonly PriorityQueue<(int Kind, int Id), (double Time, long Seq)> _events = new();
    private long _seq, _handled;
    private int _rr;

    private readonly LogHistogram _ttft = new(), _tpot = new(), _itl = new(), _e2e = new(), _sched = new();
    private long _completed, _inputTokens, _outputTokens, _cachedTokens, _met, _steps;
    private double _lastEventTime, _inFlightArea, _lastCompletion;
    private int _inFlight;
    private readonly double[] _busy, _kvArea, _prefillBusy, _decodeBusy, _poolInput, _poolOutput, _winInput, _winOutput;
    private double _peakKv;
    private Timeline _timeline = null!;
    private Action<RequestOutcome>? _sink;
    private readonly WorkloadCheck _check;
    private WorkloadSource _source = null!;
    private bool _checkOnArrival;

    public Simulator(SimulationSetup setup)
    {
        _setup = setup;
        _check = new WorkloadCheck(setup);
        var list = new List<Instance>();
        var groups = new List<Instance[]>();
        void AddPool(PoolSetup p, int poolIndex)
        {
            int blocks = (int)Math.Min(int.MaxValue / 2, p.KvTokensPerInstance / p.Scheduler.BlockSize);
            int size = Math.Max(1, p.LockstepGroupSize);
            for (int i = 0; i < p.Instances; i += size)
            {
                var members = new Instance[Math.Min(size, p.Instances - i)];
                for (int m = 0; m < members.Length; m++)
                {
                    members[m] = new Instance(list.Count, poolIndex, p.Scheduler, p.Time, blocks) { Group = groups.Count };
                    list.Add(members[m]);
                }
                groups.Add(members);
            }
        }
        AddPool(setup.Prefill, 0);
        _prefillCount = list.Count;
        if (setup.Decode is { } d) AddPool(d, 1);
        _instances = list.ToArray();
        _groups = groups.ToArray();
        int pools = setup.Decode is null ? 1 : 2;
        _busy = new double[pools]; _kvArea = new double[pools]; _prefillBusy = new double[pools]; _decodeBusy = new double[pools];
        _poolInput = new double[pools]; _poolOutput = new double[pools]; _winInput = new double[pools]; _winOutput = new double[pools];
    }

    private bool Disaggregated => _setup.Decode is not null;

    /// <summary>
    /// Simulates the workload to the end. Every request is validated first (<see cref="WorkloadCheck"/>) on a replay of
    /// <paramref name="source"/>, so bad input fails before <paramref name="sink"/> sees any outcome; a source that cannot
    /// be replayed is checked request by request on arrival instead.
    /// </summary>
    public SimulationResult Run(WorkloadSource source, Action<RequestOutcome>? sink = null, CancellationToken ct = default)
    {
        _source = source;
        _checkOnArrival = !_check.CheckAll(source, ct);
        _sink = sink;
        double width = _setup.TimelineWidthSeconds > 0 ? _setup.TimelineWidthSeconds : Math.Max(1e-3, source.ExpectedSpanSeconds / 100);
        _timeline = new Timeline(width, _instances.Length);

        bool more = source.TryNext(out var next);
        long count = 0;
        while (true)
        {
            double eventTime = _events.TryPeek(out _, out var key) ? key.Time : double.PositiveInfinity;
            if (more && next.ArrivalSeconds <= eventTime)
            {
                Advance(next.ArrivalSeconds);
                Arrive(next, count++);
                more = source.TryNext(out next);
                if ((count & 4095) == 0) ct.ThrowIfCancellationRequested();
                continue;
            }
            if (!_events.TryDequeue(out var ev, out key)) break;
            if ((++_handled & 65535) == 0) ct.ThrowIfCancellationRequested();
            Advance(key.Time);
            if (ev.Kind == EventStep) EndGroupStep(ev.Id, key.Time);
            else EndTransfer(ev.Id, key.Time);
        }
        // Unreachable for validated input (WorkloadCheck rules out both causes); kept so a gap can never pass as a result.
        if (_completed != count)
            throw new PreconditionFailedException("deployment", $"{count - _completed} of {count} requests could never be scheduled " +
                "(a prompt longer than max_num_batched_tokens without chunked prefill, or a KV cache too small for one request)");
        return Finish();
    }

    private void Advance(double now)
    {
        _inFlightArea += _inFlight * (now - _lastEventTime);
        _lastEventTime = now;
    }

    private int NewSlot()
    {
        if (_freeSlots.Count > 0) return _freeSlots.Pop();
        if (_slotCount == _reqs.Length) Array.Resize(ref _reqs, _reqs.Length * 2);
        return _slotCount++;
    }

    private void Arrive(in TraceRequest t, long index)
    {
        if (_checkOnArrival) _check.Check(_source, index, t);
        int slot = NewSlot();
        ref var r = ref _reqs[slot];
        r = default;
        r.Index = index;
        r.Arrival = t.ArrivalSeconds;
        r.Input = t.InputTokens;
        r.Output = t.OutputTokens;
        r.Hashes = t.HashIds;
        r.Priority = _setup.PriorityClasses > 1 ? (int)(index % _setup.PriorityClasses) : 0;
        r.Pool = 0;
        _inFlight++;
        var inst = Route(ref r, 0, _prefillCount);
        r.Instance = inst.Id;
        inst.Outstanding++;
        inst.Enqueue(_reqs, slot, front: false);
        TryStart(inst, t.ArrivalSeconds);
    }

    private Instance Route(ref RequestState r, int from, int to)
    {
        int n = to - from;
        if (n == 1) return _instances[from];
        switch (_setup.Router)
        {
            case RouterKind.RoundRobin:
                return _instances[from + (_rr++ % n)];
            case RouterKind.KvCacheAware when r.Hashes is { Length: > 0 } hashes && r.Pool == 0:
            {
                Instance best = _instances[from];
                int bestHit = -1;
                for (int i = from; i < to; i++)
                {
                    var c = _instances[i];
                    int hit = c.S.PrefixCaching ? c.Kv.Lookup(hashes, hashes.Length, out _) : 0;
                    if (hit > bestHit || (hit == bestHit && c.Outstanding < best.Outstanding)) { best = c; bestHit = hit; }
                }
                return best;
            }
            default:
            {
                Instance best = _instances[from];
                for (int i = from + 1; i < to; i++) if (_instances[i].Outstanding < best.Outstanding) best = _instances[i];
                return best;
            }
        }
    }

    /// <summary>
    /// Starts a step of the instance's lockstep group if it is idle and has work. DP ranks of one expert-parallel group
    /// meet in every MoE all-to-all, so they step together and the step lasts as long as the slowest rank's batch
    /// (ranks with no work join with an empty batch, as vLLM's dummy batches). Without EP a group is one instance.
    /// </summary>
    private void TryStart(Instance any, double now)
    {
        var members = _groups[any.Group];
        var lead = members[0];
        if (lead.Busy) return;
        double dt = 0;
        bool anyWork = false;
        for (int m = 0; m < members.Length; m++)
        {
            var inst = members[m];
            if (!inst.Schedule(_reqs, now)) continue;
            anyWork = true;
            double t = inst.Time.StepSeconds(inst.Shape);
            if (t > dt) dt = t;
        }
        if (!anyWork) return;
        if (!(dt > 0) || double.IsInfinity(dt)) dt = 1e-9;
        lead.Busy = true;
        _steps++;
        for (int m = 0; m < members.Length; m++)
        {
            var inst = members[m];
            if (inst.Scheduled.Count > 0) Account(inst, now, dt);
        }
        _events.Enqueue((EventStep, any.Group), (now + dt, _seq++));
    }

    private void Account(Instance inst, double now, double dt)
    {
        var shape = inst.Shape;
        int pool = inst.PoolIndex;
        double kvUtil = inst.Kv.TotalBlocks > 0 ? (double)inst.Kv.UsedBlocks / inst.Kv.TotalBlocks : 0;
        if (kvUtil > _peakKv) _peakKv = kvUtil;
        _busy[pool] += dt;
        _kvArea[pool] += dt * kvUtil;
        // Split the step's time between prompt and decode work by what each part alone would cost (for the cost split).
        if (shape.PrefillTokens > 0 && shape.DecodeSequences > 0)
        {
            var p = shape; p.DecodeSequences = 0; p.DecodeContextTokens = 0;
            var d = shape; d.PrefillTokens = 0; d.PrefillSequences = 0; d.PrefillAttentionPairs = 0;
            double tp = inst.Time.StepSeconds(p), td = inst.Time.StepSeconds(d);
            double f = tp + td > 0 ? tp / (tp + td) : 0.5;
            _prefillBusy[pool] += dt * f; _decodeBusy[pool] += dt * (1 - f);
        }
        else if (shape.PrefillTokens > 0) _prefillBusy[pool] += dt;
        else _decodeBusy[pool] += dt;
        _timeline.AddBusy(now, now + dt, kvUtil, inst.Running.Count, inst.WaitingCount);
    }

    private void EndGroupStep(int group, double now)
    {
        var members = _groups[group];
        members[0].Busy = false;
        for (int m = 0; m < members.Length; m++)
            if (members[m].Scheduled.Count > 0) EndStep(members[m], now);
        TryStart(members[0], now);
    }

    private void EndStep(Instance inst, double now)
    {
        var reqs = _reqs;
        var sched = inst.Scheduled;
        bool anyDone = false;
        int pool = inst.PoolIndex;
        for (int k = 0; k < sched.Count; k++)
        {
            int slot = sched[k];
            ref var r = ref reqs[slot];
            inst.Advance(ref r);
            if (r.Computed < r.NumTokens) continue;
            // Caught up: the step sampled a new token.
            r.Generated++;
            _poolOutput[pool]++;
            if (r.Generated == 1) { r.FirstToken = now; _poolInput[pool] += r.Input; } // prompt tokens served, cache hits included
            if (now >= _setup.WindowStartSeconds && now < _setup.WindowEndSeconds)
            {
                _winOutput[pool]++;
                if (r.Generated == 1) _winInput[pool] += r.Input;
            }
            if (r.Generated > 1) _itl.Add((now - r.LastToken) * 1e3);
            r.LastToken = now;
            bool prefillOnly = Disaggregated && pool == 0;
            if (r.Generated >= r.Output || prefillOnly) anyDone = true;
        }
        sched.Clear();
        if (anyDone) RemoveDone(inst, now);
    }

    private void RemoveDone(Instance inst, double now)
    {
        var running = inst.Running;
        int pool = inst.PoolIndex;
        for (int i = 0; i < running.Count; i++)
        {
            int slot = running[i];
            ref var r = ref _reqs[slot];
            bool done = r.Generated >= r.Output;
            bool handOff = !done && Disaggregated && pool == 0 && r.Generated >= 1;
            if (!done && !handOff) continue;
            running.RemoveAt(i--);
            if (done)
            {
                inst.ReleaseBlocks(ref r);
                inst.Outstanding--;
                Complete(slot, now);
            }
            else StartTransfer(inst, slot, now);
        }
    }

    private void StartTransfer(Instance inst, int slot, double now)
    {
        ref var r = ref _reqs[slot];
        // KV of the prompt leaves each prefill accelerator over its own link; transfers from one instance queue on it.
        double bytes = r.Input * _setup.Prefill.KvBytesPerTokenPerAccelerator;
        double start = Math.Max(now, inst.LinkFreeAt);
        double end = start + bytes / _setup.KvTransferBytesPerSecond + _setup.KvTransferLatencySeconds;
        inst.LinkFreeAt = end - _setup.KvTransferLatencySeconds;
        _events.Enqueue((EventTransfer, slot), (end, _seq++));
    }

    private void EndTransfer(int slot, double now)
    {
        ref var r = ref _reqs[slot];
        var src = _instances[r.Instance];
        src.ReleaseBlocks(ref r);
        src.Outstanding--;
        TryStart(src, now);
        r.Pool = 1;
        r.Computed = r.Input; // the prompt's KV arrived; the first sampled token is decoded next
        var dst = Route(ref r, _prefillCount, _instances.Length);
        r.Instance = dst.Id;
        dst.Outstanding++;
        dst.Enqueue(_reqs, slot, front: false);
        TryStart(dst, now);
    }

    private void Complete(int slot, double now)
    {
        ref var r = ref _reqs[slot];
        double ttft = r.FirstToken - r.Arrival, e2e = now - r.Arrival;
        double tpot = r.Output > 1 ? (e2e - ttft) / (r.Output - 1) : 0;
        var slo = _setup.Slo;
        bool met = (slo.TtftSeconds <= 0 || ttft <= slo.TtftSeconds)
                   && (slo.TpotSeconds <= 0 || r.Output <= 1 || tpot <= slo.TpotSeconds)
                   && (slo.E2eSeconds <= 0 || e2e <= slo.E2eSeconds);
        _ttft.Add(ttft * 1e3);
        if (r.Output > 1) _tpot.Add(tpot * 1e3);
        _e2e.Add(e2e * 1e3);
        _sched.Add((r.FirstScheduled - r.Arrival) * 1e3);
        _completed++;
        _inputTokens += r.Input;
        _outputTokens += r.Generated;
        _cachedTokens += r.CachedTokens;
        if (met) _met++;
        _inFlight--;
        _lastCompletion = now;
        _sink?.Invoke(new RequestOutcome(r.Index, r.Arrival, r.Input, r.Generated, ttft, tpot, e2e, r.FirstScheduled - r.Arrival,
            r.CachedTokens, r.Preemptions, r.Instance, met));
        r.Hashes = null;
        _freeSlots.Push(slot);
    }

    private SimulationResult Finish()
    {
        double span = _lastCompletion;
        double window = Math.Max(0, Math.Min(_setup.WindowEndSeconds, span) - _setup.WindowStartSeconds);
        var pools = new List<PoolResult>();
        double accHours = 0, total = 0, inputUsd = 0, outputUsd = 0;
        long preemptions = 0, recomputed = 0;
        foreach (var i in _instances) { preemptions += i.Preemptions; recomputed += i.RecomputedTokens; }
        double busyAll = 0, kvAll = 0;
        int instancesAll = 0, accAll = 0;
        var setups = Disaggregated ? new[] { _setup.Prefill, _setup.Decode! } : new[] { _setup.Prefill };
        for (int p = 0; p < setups.Length; p++)
        {
            var s = setups[p];
            int acc = s.Instances * s.AcceleratorsPerInstance;
            double nodes = acc / 8.0;
            double busyFrac = span > 0 ? _busy[p] / (s.Instances * span) : 0;
            double kvMean = span > 0 ? _kvArea[p] / (s.Instances * span) : 0;
            double prefShare = _prefillBusy[p] + _decodeBusy[p] > 0 ? _prefillBusy[p] / (_prefillBusy[p] + _decodeBusy[p]) : 0;
            pools.Add(new PoolResult(s.Name, s.Instances, acc, s.KvTokensPerInstance, s.WeightBytesPerAccelerator, busyFrac,
                span > 0 ? _poolInput[p] / span / nodes : 0, span > 0 ? _poolOutput[p] / span / nodes : 0, kvMean, prefShare,
                window > 0 ? _winInput[p] / window / nodes : 0, window > 0 ? _winOutput[p] / window / nodes : 0));
            double hours = acc * span / 3600;
            double usd = hours * _setup.PricePerAcceleratorHour;
            accHours += hours; total += usd;
            inputUsd += usd * prefShare; outputUsd += usd * (1 - prefShare);
            busyAll += _busy[p]; kvAll += _kvArea[p]; instancesAll += s.Instances; accAll += acc;
        }
        return new SimulationResult(_completed, span, _inputTokens, _outputTokens, _cachedTokens,
            _ttft.Summarize(), _tpot.Summarize(), _itl.Summarize(), _e2e.Summarize(), _sched.Summarize(),
            _met, preemptions, recomputed, _steps, span > 0 ? _inFlightArea / span : 0,
            span > 0 ? kvAll / (instancesAll * span) : 0, _peakKv, span > 0 ? busyAll / (instancesAll * span) : 0,
            _timeline.Samples(span), pools, accHours, total, inputUsd, outputUsd);
    }
}
