using InferenceScheduler.Domain.Metrics;

namespace InferenceScheduler.Domain.Simulation;

/// <summary>
/// Everything a run measures, in fixed-size histograms and per-pool sums: latencies per request, tokens per pool (and
/// inside the steady-state window), busy time split between prompt and decode work, KV utilisation, requests in system
/// and the timeline; <see cref="Finish"/> turns them into a <see cref="SimulationResult"/>.
/// </summary>
internal sealed class MetricsRecorder
{
    private readonly SimulationSetup _setup;
    private readonly LogHistogram _ttft = new(), _tpot = new(), _itl = new(), _e2e = new(), _sched = new();
    private readonly double[] _busy, _kvArea, _prefillBusy, _decodeBusy, _poolInput, _poolOutput, _winInput, _winOutput;
    private readonly Timeline _timeline;
    private long _inputTokens, _outputTokens, _cachedTokens, _met;
    private double _lastEventTime, _inFlightArea, _lastCompletion, _peakKv;
    private int _inFlight;

    public MetricsRecorder(SimulationSetup setup, int pools, double timelineWidthSeconds, int instances)
    {
        _setup = setup;
        _busy = new double[pools]; _kvArea = new double[pools]; _prefillBusy = new double[pools];
        _decodeBusy = new double[pools];
        _poolInput = new double[pools]; _poolOutput = new double[pools]; _winInput = new double[pools];
        _winOutput = new double[pools];
        _timeline = new Timeline(timelineWidthSeconds, instances);
    }

    public long Completed { get; private set; }
    public long Steps { get; private set; }

    /// <summary>Moves the clock to <paramref name="now"/>, integrating the requests in system.</summary>
    public void Advance(double now)
    {
        _inFlightArea += _inFlight * (now - _lastEventTime);
        _lastEventTime = now;
    }

    public void Arrived() => _inFlight++;

    public void StepStarted() => Steps++;

    /// <summary>An instance's share of a step from <paramref name="now"/> lasting <paramref name="dt"/>.</summary>
    public void Step(Instance inst, double now, double dt)
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
            d.PrefillAttentionSeconds = 0;
            double tp = inst.Time.StepSeconds(p), td = inst.Time.StepSeconds(d);
            double f = tp + td > 0 ? tp / (tp + td) : 0.5;
            _prefillBusy[pool] += dt * f; _decodeBusy[pool] += dt * (1 - f);
        }
        else if (shape.PrefillTokens > 0) _prefillBusy[pool] += dt;
        else _decodeBusy[pool] += dt;
        _timeline.AddBusy(now, now + dt, kvUtil, inst.Running.Count, inst.WaitingCount);
    }

    /// <summary>A step of pool <paramref name="pool"/> has just sampled the request's last <paramref name="tokens"/>
    /// tokens, up to the <see cref="RequestState.Generated"/>-th (more than one with speculative decoding; the
    /// inter-token latency is then the time between the steps that emit them).</summary>
    public void TokenSampled(int pool, ref RequestState r, double now, int tokens = 1)
    {
        _poolOutput[pool] += tokens;
        // prompt tokens served, cache hits included
        if (r.Generated == 1) { r.FirstToken = now; _poolInput[pool] += r.Input; }
        if (now >= _setup.WindowStartSeconds && now < _setup.WindowEndSeconds)
        {
            _winOutput[pool] += tokens;
            if (r.Generated == 1) _winInput[pool] += r.Input;
        }
        if (r.Generated > tokens) _itl.Add((now - r.LastToken) * 1e3);
        r.LastToken = now;
    }

    /// <summary>Records a finished request and returns its outcome.</summary>
    public RequestOutcome Complete(in RequestState r, double now)
    {
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
        Completed++;
        _inputTokens += r.Input;
        _outputTokens += r.Generated;
        _cachedTokens += r.CachedTokens;
        if (met) _met++;
        _inFlight--;
        _lastCompletion = now;
        return new RequestOutcome(r.Index, r.Arrival, r.Input, r.Generated, ttft, tpot, e2e,
            r.FirstScheduled - r.Arrival, r.CachedTokens, r.Preemptions, r.Instance, met);
    }

    public SimulationResult Finish(ServingPools pools)
    {
        double span = _lastCompletion;
        double window = Math.Max(0, Math.Min(_setup.WindowEndSeconds, span) - _setup.WindowStartSeconds);
        var results = new List<PoolResult>();
        double accHours = 0, total = 0, inputUsd = 0, outputUsd = 0;
        long preemptions = 0, recomputed = 0;
        foreach (var i in pools.Instances) { preemptions += i.Preemptions; recomputed += i.RecomputedTokens; }
        double busyAll = 0, kvAll = 0;
        int instancesAll = 0;
        for (int p = 0; p < pools.Setups.Count; p++)
        {
            var s = pools.Setups[p];
            int acc = s.Instances * s.AcceleratorsPerInstance;
            double nodes = acc / 8.0;
            double busyFrac = span > 0 ? _busy[p] / (s.Instances * span) : 0;
            double kvMean = span > 0 ? _kvArea[p] / (s.Instances * span) : 0;
            double prefShare = _prefillBusy[p] + _decodeBusy[p] > 0
                ? _prefillBusy[p] / (_prefillBusy[p] + _decodeBusy[p]) : 0;
            results.Add(new PoolResult(s.Name, s.Instances, acc, s.KvTokensPerInstance, s.WeightBytesPerAccelerator,
                busyFrac,
                span > 0 ? _poolInput[p] / span / nodes : 0, span > 0 ? _poolOutput[p] / span / nodes : 0, kvMean,
                prefShare,
                window > 0 ? _winInput[p] / window / nodes : 0, window > 0 ? _winOutput[p] / window / nodes : 0));
            double hours = acc * span / 3600;
            double usd = hours * (s.PricePerAcceleratorHour ?? _setup.PricePerAcceleratorHour);
            accHours += hours; total += usd;
            inputUsd += usd * prefShare; outputUsd += usd * (1 - prefShare);
            busyAll += _busy[p]; kvAll += _kvArea[p]; instancesAll += s.Instances;
        }
        return new SimulationResult(Completed, span, _inputTokens, _outputTokens, _cachedTokens,
            _ttft.Summarize(), _tpot.Summarize(), _itl.Summarize(), _e2e.Summarize(), _sched.Summarize(),
            _met, preemptions, recomputed, Steps, span > 0 ? _inFlightArea / span : 0,
            span > 0 ? kvAll / (instancesAll * span) : 0, _peakKv, span > 0 ? busyAll / (instancesAll * span) : 0,
            _timeline.Samples(span), results, accHours, total, inputUsd, outputUsd);
    }
}
