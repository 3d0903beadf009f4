using System.Collections.Concurrent;
using System.Text;
using InferenceScheduler.Domain.Live;
using Platform.ServiceDefaults;
using Prometheus;

namespace InferenceScheduler.Application.Live;

/// <summary>
/// vLLM's serving metrics for every live deployment, labelled <c>model_name</c> as vLLM labels them, in a
/// prometheus-net registry of this host (OpenTelemetry drops instrument names with ':'), appended to /metrics. Gauges
/// and token counters are read from the engines when scraped; latency histograms are observed as requests finish
/// (inter-token latency per token), with vLLM's buckets. prometheus-net refuses ':' in names too, so the families are
/// registered as <c>vllm_…</c> and written out under vLLM's <c>vllm:…</c> names.
/// </summary>
public sealed class LiveMetrics : IPrometheusTextSource
{
    private const string Prefix = "vllm_";
    private static readonly string[] Label = ["model_name"];
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly ConcurrentDictionary<string, LiveEngine> _engines = new();
    private readonly Gauge _running, _waiting, _kvUsage;
    private readonly Counter _prefixHits, _prefixQueries, _promptTokens, _generationTokens, _preemptions, _success;
    private readonly Histogram _ttft, _itl, _e2e, _queue;

    public LiveMetrics()
    {
        var f = Metrics.WithCustomRegistry(_registry);
        Gauge G(string name, string help) => f.CreateGauge(name, help, Label);
        Counter C(string name, string help) => f.CreateCounter(name, help, Label);
        Histogram H(string name, string help, double[] buckets) =>
            f.CreateHistogram(name, help, new HistogramConfiguration { LabelNames = Label, Buckets = buckets });
        _running = G("vllm_num_requests_running", "Number of requests in model execution batches.");
        _waiting = G("vllm_num_requests_waiting", "Number of requests waiting to be processed.");
        _kvUsage = G("vllm_kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.");
        _prefixHits = C("vllm_prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.");
        _prefixQueries = C("vllm_prefix_cache_queries_total",
            "Prefix cache queries, in terms of number of queried tokens.");
        _promptTokens = C("vllm_prompt_tokens_total", "Number of prefill tokens processed.");
        _generationTokens = C("vllm_generation_tokens_total", "Number of generation tokens processed.");
        _preemptions = C("vllm_num_preemptions_total", "Cumulative number of preemptions from the engine.");
        _success = C("vllm_request_success_total", "Count of successfully processed requests.");
        _ttft = H("vllm_time_to_first_token_seconds", "Histogram of time to first token in seconds.",
            [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
                80.0, 160.0, 640.0, 2560.0]);
        _itl = H("vllm_inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
            [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
                80.0]);
        double[] requestBuckets = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0,
            120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];
        _e2e = H("vllm_e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", requestBuckets);
        _queue = H("vllm_request_queue_time_seconds",
            "Histogram of time spent in WAITING phase for request.", requestBuckets);
        _registry.AddBeforeCollectCallback(Refresh);
    }

    /// <summary>The observer a deployment's engine reports to.</summary>
    public ILiveObserver ObserverFor(string name) => new Observer(this, name);

    public void Track(string name, LiveEngine engine)
    {
        _engines[name] = engine;
        Refresh();
    }

    /// <summary>Drops a deleted deployment's series.</summary>
    public void Forget(string name)
    {
        _engines.TryRemove(name, out _);
        foreach (var c in new Collector[] { _running, _waiting, _kvUsage, _prefixHits, _prefixQueries, _promptTokens,
                     _generationTokens, _preemptions, _success, _ttft, _itl, _e2e, _queue })
            switch (c)
            {
                case Gauge g: g.RemoveLabelled(name); break;
                case Counter k: k.RemoveLabelled(name); break;
                case Histogram h: h.RemoveLabelled(name); break;
            }
    }

    public async Task WriteAsync(Stream output, bool openMetrics, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(buffer,
            openMetrics ? ExpositionFormat.OpenMetricsText : ExpositionFormat.PrometheusText, ct);
        string text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        if (openMetrics && text.EndsWith("# EOF\n", StringComparison.Ordinal)) text = text[..^"# EOF\n".Length];
        await output.WriteAsync(Encoding.UTF8.GetBytes(VllmNames(text)), ct);
    }

    /// <summary>Renames the families from <c>vllm_</c> to vLLM's <c>vllm:</c> (every family here has that
    /// prefix).</summary>
    internal static string VllmNames(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0) continue;
            if (line.StartsWith(Prefix, StringComparison.Ordinal)) sb.Append("vllm:").Append(line, Prefix.Length,
                line.Length - Prefix.Length);
            else if (line.StartsWith("# ", StringComparison.Ordinal) && line.Length > 7
                     && line.AsSpan(7).StartsWith(Prefix, StringComparison.Ordinal))
                sb.Append(line, 0, 7).Append("vllm:").Append(line, 7 + Prefix.Length, line.Length - 7 - Prefix.Length);
            else sb.Append(line);
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private void Refresh()
    {
        foreach (var (name, engine) in _engines)
        {
            var s = engine.Stats();
            _running.WithLabels(name).Set(s.Running);
            _waiting.WithLabels(name).Set(s.Waiting);
            _kvUsage.WithLabels(name).Set(s.KvCacheUsage);
            _prefixHits.WithLabels(name).IncTo(s.PrefixHitTokens);
            _prefixQueries.WithLabels(name).IncTo(s.PrefixQueryTokens);
            _promptTokens.WithLabels(name).IncTo(s.PromptTokens);
            _generationTokens.WithLabels(name).IncTo(s.GenerationTokens);
            _preemptions.WithLabels(name).IncTo(s.Preemptions);
            _success.WithLabels(name).IncTo(s.Completed);
        }
    }

    private sealed class Observer(LiveMetrics m, string name) : ILiveObserver
    {
        private readonly Histogram.Child _itl = m._itl.WithLabels(name);
        private readonly Histogram.Child _ttft = m._ttft.WithLabels(name);
        private readonly Histogram.Child _e2e = m._e2e.WithLabels(name);
        private readonly Histogram.Child _queue = m._queue.WithLabels(name);

        public void InterTokenLatency(double seconds) => _itl.Observe(seconds);

        public void Finished(LiveOutcome o)
        {
            _ttft.Observe(o.TtftSeconds);
            _e2e.Observe(o.E2eSeconds);
            _queue.Observe(o.QueueSeconds);
        }
    }
}
