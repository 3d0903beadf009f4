namespace InferenceScheduler.Domain.Workloads;

/// <summary>One request of a workload: arrival time (seconds from the start), token counts, prefix-block hashes.</summary>
public readonly record struct TraceRequest(double ArrivalSeconds, int InputTokens, int OutputTokens, int[]? HashIds = null);
