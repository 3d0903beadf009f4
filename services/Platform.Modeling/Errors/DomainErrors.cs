namespace Platform.Modeling.Errors;

// Domain code reports bad input with these exceptions; the gRPC adapter (ServiceDefaults'
// interceptor) maps them to status codes with the field named. No transport types here.

/// <summary>Base of every error the platform reports to a caller. <see cref="Field"/> is the request field at fault.</summary>
public abstract class PlatformException(string field, string reason) : Exception($"{field}: {reason}")
{
    public string Field { get; } = field;
    public string Reason { get; } = reason;
}

/// <summary>A field's value is malformed or out of range (gRPC InvalidArgument).</summary>
public sealed class InvalidFieldException(string field, string reason) : PlatformException(field, reason);

/// <summary>A name does not resolve: unknown device, preset, trace, job (gRPC NotFound).</summary>
public sealed class NotFoundException(string field, string kind, string name)
    : PlatformException(field, $"unknown {kind} '{name}'")
{
    public string Kind { get; } = kind;
    public string Name { get; } = name;
}

/// <summary>The input is well-formed but the system is not in a state to honour it, e.g. a model that does not fit (gRPC FailedPrecondition).</summary>
public sealed class PreconditionFailedException(string field, string reason) : PlatformException(field, reason);

/// <summary>A limit was exceeded: device memory, host element or message limits (gRPC ResourceExhausted).</summary>
public sealed class LimitExceededException(string field, string reason, double needed = 0, double available = 0)
    : PlatformException(field, reason)
{
    public double Needed { get; } = needed;
    public double Available { get; } = available;
}
