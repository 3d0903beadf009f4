using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Workloads;

/// <summary>A trace shipped with the service.</summary>
public sealed record BuiltInTrace(string Name, string Resource, string Format, string Source);

/// <summary>Summary of a trace computed from its rows.</summary>
public sealed record TraceSummary(string Name, string Format, long Requests, double SpanSeconds, double MeanInput,
    double MeanOutput, string Source);

/// <summary>The built-in traces, loaded from embedded resources and cached after the first read.</summary>
public static class BuiltInTraces
{
    public static readonly IReadOnlyList<BuiltInTrace> All =
    [
        new("azure-code-2023", "AzureLLMInferenceTrace_code.csv", "azure-csv",
            "Azure LLM inference trace 2023, code (Splitwise, ISCA'24), CC-BY 4.0"),
        new("azure-conv-2023", "AzureLLMInferenceTrace_conv.csv", "azure-csv",
            "Azure LLM inference trace 2023, conversation (Splitwise, ISCA'24), CC-BY 4.0"),
        new("mooncake-conversation", "mooncake_conversation_trace.jsonl", "mooncake-jsonl",
            "Mooncake FAST'25 conversation trace (Kimi), Apache-2.0"),
        new("mooncake-synthetic", "mooncake_synthetic_trace.jsonl", "mooncake-jsonl",
            "Mooncake FAST'25 synthetic trace (Kimi), Apache-2.0"),
    ];

    private static readonly Dictionary<string, Lazy<TraceRequest[]>> Cache =
        All.ToDictionary(t => t.Name, t => new Lazy<TraceRequest[]>(() => Read(t)));

    /// <summary>The requests of a built-in trace, or <see cref="NotFoundException"/>.</summary>
    public static TraceRequest[] Load(string name, string field = "workload.trace")
    {
        if (string.IsNullOrWhiteSpace(name)) throw new InvalidFieldException(field, "is empty");
        return Cache.TryGetValue(name.Trim().ToLowerInvariant(), out var lazy) ? lazy.Value
            : throw new NotFoundException(field, "trace", name,
                Suggestions.Hint(name, All.Select(t => t.Name), "ListTraces (GET /api/v1/traces)"));
    }

    public static TraceSummary Summarize(BuiltInTrace t)
    {
        var rows = Load(t.Name);
        return new TraceSummary(t.Name, t.Format, rows.Length, rows.Length == 0 ? 0 : rows[^1].ArrivalSeconds,
            rows.Length == 0 ? 0 : rows.Average(r => (double)r.InputTokens),
            rows.Length == 0 ? 0 : rows.Average(r => (double)r.OutputTokens), t.Source);
    }

    private static TraceRequest[] Read(BuiltInTrace t)
    {
        using var s =
            typeof(BuiltInTraces).Assembly.GetManifestResourceStream($"InferenceScheduler.Traces.{t.Resource}")
            ?? throw new InvalidOperationException($"trace resource {t.Resource} missing");
        using var reader = new StreamReader(s);
        return (t.Format == "azure-csv" ? TraceReader.ReadCsv(reader, t.Name) : TraceReader.ReadJsonl(reader, t.Name))
            .ToArray();
    }
}
