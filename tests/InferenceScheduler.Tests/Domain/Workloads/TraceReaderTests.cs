using InferenceScheduler.Domain.Workloads;
using Platform.Modeling.Errors;

namespace InferenceScheduler.Tests.Domain.Workloads;

public sealed class TraceReaderTests
{
    private static List<TraceRequest> Csv(string text) => TraceReader.ReadCsv(new StringReader(text)).ToList();

    private static List<TraceRequest> Jsonl(string text) => TraceReader.ReadJsonl(new StringReader(text)).ToList();

    [Fact]
    public void Numeric_timestamps_are_seconds_not_dates()
    {
        var rows = Csv("TIMESTAMP,ContextTokens,GeneratedTokens\n1.5,100,10\n2.25,100,10\n4,100,10\n");
        Assert.Equal([0, 0.75, 2.5], rows.Select(r => r.ArrivalSeconds));
    }

    [Fact]
    public void Date_times_are_rebased_to_the_first_row()
    {
        var rows = Csv("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.5,374,44\n"
            + "2023-11-16 18:15:50.0,396,109\n");
        Assert.Equal(0, rows[0].ArrivalSeconds);
        Assert.Equal(3.5, rows[1].ArrivalSeconds, 6);
    }

    [Fact]
    public void The_column_name_states_milliseconds()
    {
        var rows = Csv("TIMESTAMP_MS,ContextTokens,GeneratedTokens\n1000,100,10\n1500,100,10\n");
        Assert.Equal([0, 0.5], rows.Select(r => r.ArrivalSeconds));
    }

    [Theory]
    [InlineData("TIMESTAMP,ContextTokens,GeneratedTokens\n0,100,10\n5,100,10\n3,100,10\n", "line 4")]
    [InlineData("TIMESTAMP,ContextTokens,GeneratedTokens\n0,100,10\nNaN,100,10\n", "line 3")]
    [InlineData("TIMESTAMP,ContextTokens,GeneratedTokens\n0,100,10\nInfinity,100,10\n", "line 3")]
    [InlineData("TIMESTAMP_MS,ContextTokens,GeneratedTokens\n0,100,10\n2023-11-16,100,10\n", "line 3")]
    [InlineData("TIMESTAMP,ContextTokens,GeneratedTokens\n0,100,10\nyesterday,100,10\n", "line 3")]
    public void Backwards_or_unreadable_times_are_refused_naming_the_line(string csv, string line)
    {
        var e = Assert.Throws<InvalidFieldException>(() => Csv(csv));
        Assert.Equal("workload.trace_csv", e.Field);
        Assert.Contains(line, e.Reason);
    }

    [Fact]
    public void A_long_bad_timestamp_is_quoted_short()
    {
        string csv = "TIMESTAMP,ContextTokens,GeneratedTokens\n" + new string('x', 20_000) + ",100,10\n";
        var e = Assert.Throws<InvalidFieldException>(() => Csv(csv));
        Assert.True(e.Reason.Length < 300, e.Reason);
    }

    [Fact]
    public void Jsonl_arrivals_that_go_backwards_are_refused_even_after_the_first_row()
    {
        string jsonl = """
            {"timestamp": 0, "input_length": 10, "output_length": 5}
            {"timestamp": 2000, "input_length": 10, "output_length": 5}
            {"timestamp": 1000, "input_length": 10, "output_length": 5}
            """;
        var e = Assert.Throws<InvalidFieldException>(() => Jsonl(jsonl));
        Assert.Contains("line 3", e.Reason);
    }

    [Fact]
    public void A_line_without_end_is_refused_once_it_passes_the_limit()
    {
        var huge = new EndlessLine();
        var e = Assert.Throws<InvalidFieldException>(() => TraceReader.ReadCsv(huge).ToList());
        Assert.Contains("line 1 is longer than", e.Reason);
        Assert.InRange(huge.Served, TraceReader.MaxLineChars, TraceReader.MaxLineChars + 2);
    }

    [Fact]
    public void Line_endings_of_every_kind_split_rows()
    {
        var rows = Csv("TIMESTAMP,ContextTokens,GeneratedTokens\r\n0,100,10\r1,100,10\n2,100,10");
        Assert.Equal(3, rows.Count);
    }

    /// <summary>A reader that never ends a line (an upload with no line breaks).</summary>
    private sealed class EndlessLine : TextReader
    {
        public long Served { get; private set; }
        public override int Peek() => 'a';
        public override int Read() { Served++; return 'a'; }
    }
}
