using System.Collections.Concurrent;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Emulator.V1;
using Platform.ServiceDefaults;
using Platform.Testing;
using Serilog.Core;
using Serilog.Events;

namespace Platform.Host.Tests;

/// <summary>The whole platform with its log events captured (Serilog reads sinks registered as services).</summary>
public sealed class LogCapturingFactory : PlatformFactory
{
    public ConcurrentQueue<LogEvent> Events { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(s => s.AddSingleton<ILogEventSink>(new Sink(Events)));
    }

    private sealed class Sink(ConcurrentQueue<LogEvent> events) : ILogEventSink
    {
        public void Emit(LogEvent logEvent) => events.Enqueue(logEvent);
    }
}

[Collection(LoadSensitive.Name)]
public sealed class RequestLoggingTests(LogCapturingFactory factory) : IClassFixture<LogCapturingFactory>
{
    private List<LogEvent> RequestLines(string method) => factory.Events
        .Where(e => e.MessageTemplate.Text.Contains("{GrpcStatus}")
            && e.Properties.TryGetValue("Call", out var call) && call.ToString().Contains(method))
        .ToList();

    [Fact]
    public async Task A_successful_call_writes_no_line_at_the_default_level()
    {
        var health = new Health.HealthClient(factory.Channel);
        // The host's first call can pass Platform:Logging:SlowCallMs on a busy machine (and is then rightly
        // logged as slow): the call measured is a warm one.
        await health.CheckAsync(new HealthCheckRequest());
        await Task.Delay(100); // the summary is written after the response completes
        int before = RequestLines("Health/Check").Count;
        await health.CheckAsync(new HealthCheckRequest());
        await Task.Delay(100);
        Assert.Equal(before, RequestLines("Health/Check").Count);
    }

    [Fact]
    public async Task A_failed_call_writes_one_bounded_summary_line_with_its_status_and_reason()
    {
        var client = new EmulatorService.EmulatorServiceClient(factory.Channel);
        string id = "nope-" + new string('x', 20_000);
        await Assert.ThrowsAsync<RpcException>(() => client.GetDeviceAsync(new GetDeviceRequest { Id = id })
            .ResponseAsync);
        LogEvent? line = null;
        for (int i = 0; i < 50 && line is null; i++)
        {
            line = RequestLines("GetDevice").SingleOrDefault();
            if (line is null) await Task.Delay(50);
        }
        Assert.NotNull(line);
        Assert.Equal(LogEventLevel.Information, line.Level);
        string text = line.RenderMessage();
        Assert.Contains("grpc-status 5", text);
        Assert.Contains("nope-", text);
        Assert.True(text.Length < 1000, $"{text.Length} characters");
    }

    [Theory]
    [InlineData(0, 200, 5.0, false, LogEventLevel.Debug)]
    [InlineData(0, 200, 5_000.0, false, LogEventLevel.Information)]
    [InlineData(3, 200, 5.0, false, LogEventLevel.Information)]
    [InlineData(8, 200, 5.0, false, LogEventLevel.Information)]
    [InlineData(13, 200, 5.0, false, LogEventLevel.Warning)]
    [InlineData(14, 200, 5.0, false, LogEventLevel.Warning)]
    [InlineData(null, 500, 5.0, false, LogEventLevel.Error)]
    [InlineData(null, 200, 5.0, true, LogEventLevel.Error)]
    public void Levels_keep_successful_fast_calls_out_of_the_default_log(int? grpcStatus, int http, double ms,
        bool threw, LogEventLevel expected)
    {
        Assert.Equal(expected, RequestLogging.Level(grpcStatus, http, ms, threw, slowMs: 1000));
    }

    [Fact]
    public void A_client_closing_the_connection_is_not_an_error_with_a_stack_trace()
    {
        var abort = new IOException("The request stream was aborted.",
            new Microsoft.AspNetCore.Connections.ConnectionAbortedException("The HTTP/2 connection faulted."));
        Assert.True(RequestLogging.IsClientAbort(Event(LogEventLevel.Error, abort)));
        Assert.False(RequestLogging.IsClientAbort(Event(LogEventLevel.Error, new IOException("disk full"))));
        Assert.False(RequestLogging.IsClientAbort(Event(LogEventLevel.Error, new InvalidOperationException())));
    }

    private static LogEvent Event(LogEventLevel level, Exception e) => new(DateTimeOffset.UtcNow, level, e,
        new Serilog.Parsing.MessageTemplateParser().Parse("Error when executing service method"), []);
}
