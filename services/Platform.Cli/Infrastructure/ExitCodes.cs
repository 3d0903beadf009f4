using Grpc.Core;

namespace Platform.Cli.Infrastructure;

/// <summary>Exit codes scripts can rely on (docs/CLI.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Anything else: the server failed, a job failed or was cancelled.</summary>
    public const int Other = 1;
    /// <summary>Bad usage: an unknown command or flag, a malformed value, a request the server rejects as
    /// invalid.</summary>
    public const int BadUsage = 2;
    /// <summary>A named thing (device, model, trace, job) does not exist.</summary>
    public const int NotFound = 3;
    /// <summary>No host answers, or it is busy or shutting down: trying again later may work.</summary>
    public const int Unavailable = 4;

    /// <summary>The exit code of a gRPC status.</summary>
    public static int Of(StatusCode code) => code switch
    {
        StatusCode.OK => Ok,
        StatusCode.InvalidArgument or StatusCode.OutOfRange or StatusCode.FailedPrecondition
            or StatusCode.Unauthenticated or StatusCode.PermissionDenied => BadUsage,
        StatusCode.NotFound => NotFound,
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted => Unavailable,
        _ => Other,
    };

    /// <summary>The exit code of a job error's status name (INVALID_ARGUMENT, NOT_FOUND, ...).</summary>
    public static int OfStatusName(string name) =>
        Enum.TryParse<StatusCode>(name.Replace("_", ""), ignoreCase: true, out var code) ? Of(code) : Other;
}

/// <summary>A usage error found by the CLI itself: names the flag, says what is valid.</summary>
public sealed class CliUsageException(string message, int exitCode = ExitCodes.BadUsage) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
