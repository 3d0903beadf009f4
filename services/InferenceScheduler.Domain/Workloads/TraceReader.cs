using System.Globalization;
using System.Text.Json;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Workloads;

/// <summary>
/// Parses the two trace formats: Azure 2023 CSV (<c>TIMESTAMP,ContextTokens,GeneratedTokens</c>, wall-clock
/// timestamps) and Mooncake JSONL (<c>timestamp</c> ms, <c>input_length</c>, <c>output_length</c>, <c>hash_ids</c>).
/// Arrival times are rebased so the first request arrives at 0. Errors name the line.
/// </summary>
public static class TraceReader
{
    public static IEnumerable<TraceRequest> ReadCsv(TextReader reader, string field = "workload.trace_csv")
    {
        string? header = reader.ReadLine();
        if (header is null) yield break;
        var cols = header.Split(',').Select(c => c.Trim()).ToArray();
        int ts = Array.IndexOf(cols, "TIMESTAMP"), ctx = Array.IndexOf(cols, "ContextTokens"),
            gen = Array.IndexOf(cols, "GeneratedTokens");
        if (ts < 0 || ctx < 0 || gen < 0)
            throw new InvalidFieldException(field, "line 1: header must have TIMESTAMP,ContextTokens,GeneratedTokens");
        DateTime? first = null;
        int lineNo = 1;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0) continue;
            var parts = line.Split(',');
            if (parts.Length < cols.Length)
                throw new InvalidFieldException(field, $"line {lineNo}: expected {cols.Length} columns");
            if (!DateTime.TryParse(parts[ts], CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
            {
                if (double.TryParse(parts[ts], NumberStyles.Float, CultureInfo.InvariantCulture, out double secs))
                    t = DateTime.UnixEpoch.AddSeconds(secs);
                else
                    throw new InvalidFieldException(field,
                        $"line {lineNo}: TIMESTAMP '{parts[ts]}' is not a date-time or seconds");
            }
            first ??= t;
            int input = ParseTokens(parts[ctx], field, lineNo, "ContextTokens");
            int output = ParseTokens(parts[gen], field, lineNo, "GeneratedTokens");
            double arrival = (t - first.Value).TotalSeconds;
            if (arrival < 0) throw new InvalidFieldException(field, $"line {lineNo}: TIMESTAMP goes backwards");
            yield return new TraceRequest(arrival, input, output, null, lineNo);
        }
    }

    public static IEnumerable<TraceRequest> ReadJsonl(TextReader reader, string field = "workload.trace_jsonl")
    {
        double? first = null;
        int lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            TraceRequest r;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var e = doc.RootElement;
                double ms = e.GetProperty("timestamp").GetDouble();
                first ??= ms;
                int input = e.GetProperty("input_length").GetInt32();
                int output = e.GetProperty("output_length").GetInt32();
                int[]? hashes = e.TryGetProperty("hash_ids", out var h) && h.ValueKind == JsonValueKind.Array
                    ? h.EnumerateArray().Select(x => x.GetInt32()).ToArray() : null;
                if (input <= 0) throw new InvalidFieldException(field, $"line {lineNo}: input_length must be positive");
                if (output <= 0)
                    throw new InvalidFieldException(field, $"line {lineNo}: output_length must be positive");
                r = new TraceRequest((ms - first.Value) / 1000.0, input, output, hashes, lineNo);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException
                or InvalidOperationException)
            {
                throw new InvalidFieldException(field,
                    $"line {lineNo}: needs numeric timestamp, input_length, output_length ({ex.GetType().Name})");
            }
            if (r.ArrivalSeconds < 0)
                throw new InvalidFieldException(field, $"line {lineNo}: timestamp goes backwards");
            yield return r;
        }
    }

    private static int ParseTokens(string s, string field, int line, string column)
    {
        if (!int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v <= 0)
            throw new InvalidFieldException(field,
                $"line {line}: {column} '{PlatformException.Quote(s)}' must be a positive integer");
        return v;
    }
}
