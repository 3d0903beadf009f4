using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Platform.Testing;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace Platform.Fuzz.Tests;

/// <summary>
/// The platform in-process with every log event the host's configured logger writes recorded (the console sink
/// only shows errors, so a run of many thousand rejected requests stays quiet).
/// </summary>
public sealed class FuzzFactory : PlatformFactory
{
    public LogRecorder Logs { get; } = new();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Serilog:WriteTo:0:Name"] = "Console",
        ["Serilog:WriteTo:0:Args:restrictedToMinimumLevel"] = "Error",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // The host's Serilog configuration reads sinks registered as services.
        builder.ConfigureServices(s => s.AddSingleton<ILogEventSink>(Logs));
    }
}

/// <summary>One recorded log event as the console would print it.</summary>
public sealed record LoggedLine(LogEventLevel Level, string Text, bool HasException, string Source);

/// <summary>What was logged over a stretch of time: counts, the longest line, the most recent and the worst
/// lines.</summary>
public sealed record LogSummary(IReadOnlyDictionary<LogEventLevel, long> Counts, int LongestChars,
    IReadOnlyList<LoggedLine> Recent, IReadOnlyList<LoggedLine> Offending);

/// <summary>
/// Records log events rendered with the console's template (message, then any exception). Memory stays bounded over
/// hundreds of thousands of events: it keeps counts, the longest length, the last few thousand lines and the first
/// lines at Error or above, with an exception or longer than <see cref="LongChars"/>.
/// </summary>
public sealed class LogRecorder : ILogEventSink
{
    public const int LongChars = 2_000;
    private const int RecentKept = 5_000, OffendingKept = 50;

    private static readonly MessageTemplateTextFormatter Format =
        new("[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}");

    private readonly ConcurrentQueue<(long Seq, LoggedLine Line)> _recent = new();
    private readonly ConcurrentQueue<(long Seq, LoggedLine Line)> _offending = new();
    private readonly ConcurrentQueue<(long Seq, LogEventLevel Level, int Length)> _sizes = new();
    private long _seq;

    public void Emit(LogEvent e)
    {
        var w = new StringWriter();
        Format.Format(e, w);
        string text = w.ToString().TrimEnd();
        string source = e.Properties.TryGetValue("SourceContext", out var s) ? s.ToString().Trim('"') : "";
        var line = new LoggedLine(e.Level, text, e.Exception is not null, source);
        long seq = Interlocked.Increment(ref _seq);
        _sizes.Enqueue((seq, e.Level, text.Length));
        _recent.Enqueue((seq, line));
        while (_recent.Count > RecentKept) _recent.TryDequeue(out _);
        if ((e.Level >= LogEventLevel.Error || line.HasException || text.Length > LongChars)
            && _offending.Count < OffendingKept)
            _offending.Enqueue((seq, line));
    }

    /// <summary>A summary of what is logged from now on (call before the action, the result after).</summary>
    public Func<LogSummary> Since()
    {
        long after = Interlocked.Read(ref _seq);
        return () =>
        {
            var sizes = _sizes.Where(x => x.Seq > after).ToList();
            return new LogSummary(
                sizes.GroupBy(x => x.Level).ToDictionary(g => g.Key, g => (long)g.Count()),
                sizes.Count == 0 ? 0 : sizes.Max(x => x.Length),
                [.. _recent.Where(x => x.Seq > after).Select(x => x.Line)],
                [.. _offending.Where(x => x.Seq > after).Select(x => x.Line)]);
        };
    }
}
