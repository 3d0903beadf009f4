using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Formatting.Compact;

namespace Platform.ServiceDefaults.Telemetry;

/// <summary>
/// The console sink: plain text for people (`make run`), or one compact JSON object a line for a log collector when
/// Platform:Logging:Json is true (containers: compose and Kubernetes set it). Each JSON event carries the trace and
/// span id of the call it was written under (@tr, @sp), so a log line leads to its trace. Sinks named under
/// Serilog:WriteTo replace this console sink.
/// </summary>
public static class PlatformLogging
{
    public const string JsonKey = "Platform:Logging:Json";

    public static LoggerConfiguration Configure(LoggerConfiguration lc, IConfiguration configuration)
    {
        if (configuration.GetSection("Serilog:WriteTo").GetChildren().Any()) return lc;
        return configuration.GetValue<bool>(JsonKey)
            ? lc.WriteTo.Console(new CompactJsonFormatter())
            : lc.WriteTo.Console();
    }
}
