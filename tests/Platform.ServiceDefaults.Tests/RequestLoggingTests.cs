using Microsoft.AspNetCore.Http;
using Serilog.Events;

namespace Platform.ServiceDefaults.Tests;

public sealed class RequestLoggingTests
{
    private static HttpContext Answered(int status) => new DefaultHttpContext { Response = { StatusCode = status } };

    [Fact]
    public void Ordinary_calls_log_below_the_default_level_so_load_does_not_flood_the_log()
    {
        Assert.Equal(LogEventLevel.Debug, ServiceDefaultsExtensions.RequestLogLevel(Answered(200), 3, null));
        Assert.Equal(LogEventLevel.Debug, ServiceDefaultsExtensions.RequestLogLevel(Answered(404), 3, null));
    }

    [Fact]
    public void Slow_and_failed_calls_still_log_one_line()
    {
        Assert.Equal(LogEventLevel.Information, ServiceDefaultsExtensions.RequestLogLevel(Answered(200), 1500, null));
        Assert.Equal(LogEventLevel.Error, ServiceDefaultsExtensions.RequestLogLevel(Answered(500), 3, null));
        Assert.Equal(LogEventLevel.Error,
            ServiceDefaultsExtensions.RequestLogLevel(Answered(200), 3, new InvalidOperationException("boom")));
    }
}
