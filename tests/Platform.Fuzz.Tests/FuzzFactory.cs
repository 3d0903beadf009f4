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

/// <summary>Records log events rendered with the console's template (message, then any exception).</summary>
public sealed class LogRecorder : ILogEventSink
{
    private static readonly MessageTemplateTextFormatter Format =
        new("[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}");

    private readonly ConcurrentQueue<(long Seq, LoggedLine Line)> _lines = new();
    private long _seq;

    public void Emit(LogEvent e)
    {
        var w = new StringWriter();
        Format.Format(e, w);
        string source = e.Properties.TryGetValue("SourceContext", out var s) ? s.ToString().Trim('"') : "";
        _lines.Enqueue((Interlocked.Increment(ref _seq),
            new LoggedLine(e.Level, w.ToString().TrimEnd(), e.Exception is not null, source)));
        // Keep the recorder itself bounded: the oldest lines go first.
        while (_lines.Count > 200_000) _lines.TryDequeue(out _);
    }

    /// <summary>The lines recorded from now on (call before the action, enumerate after).</summary>
    public Func<IReadOnlyList<LoggedLine>> Since()
    {
        long after = Interlocked.Read(ref _seq);
        return () => _lines.Where(l => l.Seq > after).Select(l => l.Line).ToList();
    }
}
