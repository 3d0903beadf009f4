using System.Globalization;
using System.Text;
using System.Text.Json;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Domain.Workloads;

/// <summary>
/// Parses the two trace formats: CSV with a time column and <c>ContextTokens,GeneratedTokens</c> (the Azure 2023
/// format), and Mooncake JSONL (<c>timestamp</c> ms, <c>input_length</c>, <c>output_length</c>, <c>hash_ids</c>).
/// The CSV time column says its unit by its name: <c>TIMESTAMP</c> holds a number of seconds or an ISO 8601
/// date-time (UTC unless it carries an offset), <c>TIMESTAMP_S</c> seconds, <c>TIMESTAMP_MS</c> milliseconds.
/// Arrival times are rebased so the first request arrives at 0; an arrival earlier than the row before it, or a time
/// that is not a finite number, is refused. Errors name the line.
/// </summary>
public static class TraceReader
{
    /// <summary>Longest line a trace may have (a Mooncake row with thousands of prefix hashes fits easily).</summary>
    public const int MaxLineChars = 1 << 20;

    private enum TimeUnit { SecondsOrDate, Seconds, Milliseconds }

    private static readonly (string Column, TimeUnit Unit)[] TimeColumns =
    [
        ("TIMESTAMP", TimeUnit.SecondsOrDate), ("TIMESTAMP_S", TimeUnit.Seconds),
        ("TIMESTAMP_MS", TimeUnit.Milliseconds),
    ];

    public static IEnumerable<TraceRequest> ReadCsv(TextReader reader, string field = "workload.trace_csv")
    {
        var buffer = new StringBuilder();
        string? header = ReadLine(reader, buffer, field, 1);
        if (header is null) yield break;
        var cols = header.Split(',').Select(c => c.Trim()).ToArray();
        int ctx = Array.IndexOf(cols, "ContextTokens"), gen = Array.IndexOf(cols, "GeneratedTokens");
        var time = TimeColumns.Select(c => (Index: Array.IndexOf(cols, c.Column), c.Unit, c.Column))
            .FirstOrDefault(c => c.Index >= 0, (Index: -1, Unit: TimeUnit.SecondsOrDate, Column: ""));
        if (time.Index < 0 || ctx < 0 || gen < 0)
            throw new InvalidFieldException(field, "line 1: header must have a time column (TIMESTAMP, TIMESTAMP_S "
                + "or TIMESTAMP_MS), ContextTokens and GeneratedTokens");
        double? first = null;
        double previous = 0;
        int lineNo = 1;
        string? line;
        while ((line = ReadLine(reader, buffer, field, lineNo + 1)) is not null)
        {
            lineNo++;
            if (line.Length == 0) continue;
            var parts = line.Split(',');
            if (parts.Length < cols.Length)
                throw new InvalidFieldException(field, $"line {lineNo}: expected {cols.Length} columns");
            double seconds = ParseTime(parts[time.Index].Trim(), time.Unit, time.Column, field, lineNo);
            first ??= seconds;
            int input = ParseTokens(parts[ctx], field, lineNo, "ContextTokens");
            int output = ParseTokens(parts[gen], field, lineNo, "GeneratedTokens");
            double arrival = seconds - first.Value;
            if (arrival < previous)
                throw new InvalidFieldException(field, $"line {lineNo}: {time.Column} goes backwards "
                    + $"({arrival:0.###} s after the first row, the row before was at {previous:0.###} s)");
            previous = arrival;
            yield return new TraceRequest(arrival, input, output, null, lineNo);
        }
    }

    /// <summary>Seconds since the Unix epoch (dates) or since the trace's own zero (numbers).</summary>
    private static double ParseTime(string s, TimeUnit unit, string column, string field, int line)
    {
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
        {
            if (!double.IsFinite(number))
                throw new InvalidFieldException(field, $"line {line}: {column} must be a finite number");
            return unit == TimeUnit.Milliseconds ? number / 1000 : number;
        }
        if (unit == TimeUnit.SecondsOrDate && DateTime.TryParse(s, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
            return (t - DateTime.UnixEpoch).TotalSeconds;
        throw new InvalidFieldException(field, unit == TimeUnit.SecondsOrDate
            ? $"line {line}: {column} '{PlatformException.Quote(s)}' is neither a number of seconds nor a date-time"
            : $"line {line}: {column} '{PlatformException.Quote(s)}' is not a number");
    }

    public static IEnumerable<TraceRequest> ReadJsonl(TextReader reader, string field = "workload.trace_jsonl")
    {
        double? first = null;
        double previous = 0;
        var buffer = new StringBuilder();
        int lineNo = 0;
        string? line;
        while ((line = ReadLine(reader, buffer, field, lineNo + 1)) is not null)
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
            if (r.ArrivalSeconds < previous)
                throw new InvalidFieldException(field, $"line {lineNo}: timestamp goes backwards "
                    + $"({r.ArrivalSeconds:0.###} s after the first row, the row before was at {previous:0.###} s)");
            previous = r.ArrivalSeconds;
            yield return r;
        }
    }

    /// <summary>
    /// The next line without its terminator (\n, \r\n or \r), or null at the end; a line longer than
    /// <see cref="MaxLineChars"/> is refused before it is held, so an upload without line breaks cannot grow memory.
    /// </summary>
    private static string? ReadLine(TextReader reader, StringBuilder sb, string field, int lineNo)
    {
        sb.Clear();
        int c;
        while ((c = reader.Read()) >= 0)
        {
            if (c == '\n') return sb.ToString();
            if (c == '\r')
            {
                if (reader.Peek() == '\n') reader.Read();
                return sb.ToString();
            }
            if (sb.Length == MaxLineChars)
                throw new InvalidFieldException(field, $"line {lineNo} is longer than {MaxLineChars:N0} characters");
            sb.Append((char)c);
        }
        return sb.Length > 0 ? sb.ToString() : null;
    }

    private static int ParseTokens(string s, string field, int line, string column)
    {
        if (!int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v <= 0)
            throw new InvalidFieldException(field,
                $"line {line}: {column} '{PlatformException.Quote(s)}' must be a positive integer");
        return v;
    }
}
