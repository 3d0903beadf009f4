namespace InferenceScheduler.Domain.Workloads;

/// <summary>
/// One request of a workload: arrival time (seconds from the start), token counts, prefix-block hashes, and the line of
/// the trace text it was read from (0 when generated), so errors found later still point at the row.
/// </summary>
public readonly record struct TraceRequest(double ArrivalSeconds, int InputTokens, int OutputTokens,
    int[]? HashIds = null, int Line = 0);
