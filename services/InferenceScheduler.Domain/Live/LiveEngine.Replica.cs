using InferenceScheduler.Domain.Simulation;

namespace InferenceScheduler.Domain.Live;

public sealed partial class LiveEngine
{
    /// <summary>
    /// The loop of one replica (one lockstep group of instances) on its own thread: end the step in flight, start the
    /// next at its scheduled time, sleep until it is due; idle, it waits for an arrival. Time is kept as the
    /// simulator keeps it: a step starts when the previous one was due to end (or, idle, when the request that wakes
    /// it arrived), and takes only requests that had arrived by then, so a late wake-up changes when tokens are
    /// emitted, not the schedule.
    /// </summary>
    private sealed class Replica(LiveEngine engine, int group, ReplicaThreadPriority priority)
    {
        /// <summary>The last stretch before a step's end spent spinning rather than sleeping (wall seconds): a sleep
        /// ends up to a timer tick late, so the thread sleeps until about this long before the step is due.</summary>
        private const double SpinSeconds = 0.001;

        private readonly ManualResetEventSlim _wake = new(false);
        private readonly ManualResetEventSlim _started = new(false);
        private Thread? _thread;

        /// <summary>The thread's nice value once it runs (Linux).</summary>
        public int? Nice { get; private set; }

        /// <summary>Slots of requests routed here that have not reached their instance's queue yet, in arrival
        /// order.</summary>
        public readonly List<int> Inbox = [];

        public void Start()
        {
            _thread = new Thread(Run) { IsBackground = true, Name = $"live-replica-{group}" };
            _thread.Start();
            _started.Wait(TimeSpan.FromSeconds(5));
        }

        public void Wake() => _wake.Set();

        public void Stop()
        {
            _wake.Set();
            _thread?.Join(TimeSpan.FromSeconds(5));
        }

        private void Run()
        {
            Nice = ReplicaThreads.Apply(priority);
            _started.Set();
            bool busy = false;
            double stepEnd = 0;
            while (!engine._stopping)
            {
                lock (engine._gate)
                {
                    double now = engine.Now;
                    long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    if (busy)
                    {
                        engine._lateWake.Add(Math.Max(0, now - stepEnd));
                        engine.EndGroupStep(group, now, stepEnd);
                    }
                    // Back to back with the step that just ended (caught up if this wake-up was late), or, idle, from
                    // the arrival that woke it; from now when too far behind.
                    double start = busy ? stepEnd : Inbox.Count > 0 ? engine._reqs[Inbox[0]].Arrival : now;
                    if (now - start > MaxCatchUpSeconds) start = now;
                    Admit(start);
                    busy = engine._pools.TrySchedule(group, engine._reqs.Slots, start, out double seconds);
                    while (!busy && Inbox.Count > 0)
                    {
                        // Nothing to run: the next step starts at the next arrival, as in the simulation (not at this
                        // wake-up, which may be late); each pass admits at least that arrival.
                        start = Math.Max(start, engine._reqs[Inbox[0]].Arrival);
                        if (now - start > MaxCatchUpSeconds) start = now;
                        Admit(start);
                        busy = engine._pools.TrySchedule(group, engine._reqs.Slots, start, out seconds);
                    }
                    if (busy)
                    {
                        stepEnd = start + seconds * engine.TimeScale;
                        engine._steps++;
                        engine.Started(group, now);
                    }
                    engine._schedulerSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
                    if (!busy) _wake.Reset();
                }
                if (busy) SleepUntil(stepEnd);
                else _wake.Wait();
            }
        }

        /// <summary>Queues the requests that had arrived by <paramref name="start"/> on their instances.</summary>
        private void Admit(double start)
        {
            int k = 0;
            for (; k < Inbox.Count; k++)
            {
                int slot = Inbox[k];
                if (engine._reqs[slot].Arrival > start) break;
                engine._pools.Instances[engine._reqs[slot].Instance].Enqueue(engine._reqs.Slots, slot, front: false);
            }
            Inbox.RemoveRange(0, k);
        }

        /// <summary>
        /// Waits until <paramref name="target"/>: sleeps in whole milliseconds while more than
        /// <see cref="SpinSeconds"/> is left (a sleep overshoots by up to a timer tick), then spins, yielding the
        /// processor between checks, for the rest — at most <see cref="SpinSeconds"/> plus a sleep's overshoot per
        /// step — so a step ends within microseconds of its scheduled time when a core is free.
        /// </summary>
        private void SleepUntil(double target)
        {
            var spinner = new SpinWait();
            while (!engine._stopping)
            {
                double left = target - engine.Now;
                if (left <= 0) return;
                if (left > SpinSeconds) Thread.Sleep(Math.Clamp((int)((left - SpinSeconds) * 1e3), 1, 100));
                else spinner.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    /// <summary>Tells the requests of a step just formed that they are scheduled or resumed.</summary>
    private void Started(int group, double now)
    {
        foreach (var inst in _pools.Groups[group])
            for (int k = 0; k < inst.Scheduled.Count; k++)
            {
                _requestSteps++;
                int slot = inst.Scheduled[k];
                if (_handles[slot] is not { } h) continue;
                ref var r = ref _reqs[slot];
                if (!h.Scheduled)
                {
                    h.Scheduled = true;
                    _promptTokens += r.Input;
                    _prefixQueries += r.Input;
                    _prefixHits += r.CachedTokens;
                    h.Post(new LiveEvent(LiveEventKind.Scheduled, now - h.ArrivalWall, Replica: inst.Id));
                }
                else if (h.Preempted)
                {
                    h.Preempted = false;
                    h.Post(new LiveEvent(LiveEventKind.Resumed, now - h.ArrivalWall, Replica: inst.Id));
                }
            }
    }

    /// <summary>Ends the step of <paramref name="group"/> that was due at <paramref name="due"/>: tokens out, finished
    /// requests released, cancellations that waited for the step carried out.</summary>
    private void EndGroupStep(int group, double now, double due)
    {
        var members = _pools.Groups[group];
        members[0].Busy = false;
        var reqs = _reqs.Slots;
        foreach (var inst in members)
        {
            inst.EndStep(reqs);
            var sampled = inst.Sampled;
            bool anyDone = false;
            for (int k = 0; k < sampled.Count; k++)
            {
                int slot = sampled[k];
                ref var r = ref reqs[slot];
                if (_handles[slot] is not { CancelRequested: false } h) continue;
                if (r.Generated == 1) r.FirstToken = now;
                else _observer?.InterTokenLatency(now - r.LastToken);
                r.LastToken = now;
                // More than one token per step with speculative decoding (Instance.EndStep).
                int tokens = Math.Max(1, r.Emitted);
                _generationTokens += tokens;
                CountToken(now, tokens);
                h.Post(new LiveEvent(LiveEventKind.Tokens, now - h.ArrivalWall, tokens, due - h.ArrivalWall,
                    inst.Id));
                if (r.Generated >= r.Output) anyDone = true;
            }
            if (anyDone) RemoveDone(inst, now);
        }
        for (int i = _pendingCancels.Count - 1; i >= 0; i--)
        {
            var h = _pendingCancels[i];
            if (_pools.Instances[_reqs[h.Slot].Instance].Group != group) continue;
            _pendingCancels.RemoveAt(i);
            RemoveCancelled(h, now);
        }
    }

    private void RemoveDone(Instance inst, double now)
    {
        var running = inst.Running;
        for (int i = 0; i < running.Count; i++)
        {
            int slot = running[i];
            ref var r = ref _reqs[slot];
            if (r.Generated < r.Output || _handles[slot] is not { CancelRequested: false } h) continue;
            running.RemoveAt(i--);
            inst.ReleaseBlocks(ref r);
            inst.Outstanding--;
            Finish(h, ref r, now, cancelled: false);
        }
    }

    private void CountToken(double now, int tokens)
    {
        long second = (long)now;
        int b = (int)(second % _tokensBySecond.Length);
        if (_secondOfBucket[b] != second) { _secondOfBucket[b] = second; _tokensBySecond[b] = 0; }
        _tokensBySecond[b] += tokens;
    }
}
