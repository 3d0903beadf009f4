namespace Platform.Modeling.Errors;

// Domain code reports bad input with these exceptions; the gRPC adapter (ServiceDefaults'
// interceptor) maps them to status codes with the field named. No transport types here.

/// <summary>Base of every error the platform reports to a caller. <see cref="Field"/> is the request field at
/// fault.</summary>
public abstract class PlatformException : Exception
{
    protected PlatformException(string field, string reason) : this(field, reason, $"{field}: {reason}") { }

    protected PlatformException(string field, string reason, string message) : base(message)
    {
        Field = field;
        Reason = reason;
    }

    public string Field { get; }
    public string Reason { get; }

    /// <summary>
    /// The same error with its fields nested under <paramref name="parent"/>, for code that checked a part of a
    /// request (e.g. the run of an estimate request: "cluster.count" becomes "run.cluster.count").
    /// </summary>
    public abstract PlatformException Under(string parent);

    /// <summary>
    /// The gRPC status name this error stands for where no gRPC status carries it (a failed job's error code):
    /// NotFound, FailedPrecondition, ResourceExhausted, Unavailable or InvalidArgument.
    /// </summary>
    public string StatusName => this switch
    {
        NotFoundException => "NotFound",
        PreconditionFailedException => "FailedPrecondition",
        LimitExceededException => "ResourceExhausted",
        DependencyUnavailableException => "Unavailable",
        _ => "InvalidArgument",
    };

    /// <summary>Longest part of a caller's value an error message quotes.</summary>
    public const int MaxQuoted = 100;

    /// <summary>
    /// A caller's value as an error message may quote it: at most <see cref="MaxQuoted"/> characters, longer values
    /// cut with their length stated, so a message never grows with the input.
    /// </summary>
    public static string Quote(string? value) => Quote(value, MaxQuoted);

    /// <summary><paramref name="value"/> cut to <paramref name="max"/> characters, a longer one with its length
    /// stated (for messages and log lines that quote text they do not control).</summary>
    public static string Quote(string? value, int max) =>
        value is null ? ""
        : value.Length <= max ? value
        : $"{value[..max]}… ({value.Length:N0} characters)";

    protected static string Nest(string parent, string field) =>
        field.Length == 0 ? parent : field[0] == '[' ? parent + field : $"{parent}.{field}";
}

/// <summary>One field at fault and why.</summary>
public sealed record FieldViolation(string Field, string Reason);

/// <summary>
/// One or more fields' values are malformed or out of range (gRPC InvalidArgument, one violation each).
/// <see cref="PlatformException.Field"/> and <see cref="PlatformException.Reason"/> are the first violation's.
/// </summary>
public sealed class InvalidFieldException : PlatformException
{
    public InvalidFieldException(string field, string reason) : base(field, reason) =>
        Violations = [new FieldViolation(field, reason)];

    public InvalidFieldException(IReadOnlyList<FieldViolation> violations)
        : base(First(violations).Field, violations[0].Reason,
            Summary(violations)) =>
        Violations = violations;

    /// <summary>Every field at fault, in the order they were found.</summary>
    public IReadOnlyList<FieldViolation> Violations { get; }

    public override PlatformException Under(string parent) =>
        new InvalidFieldException(Violations.Select(v => v with { Field = Nest(parent, v.Field) }).ToArray());

    /// <summary>The first few violations in words (every one stays in <see cref="Violations"/>).</summary>
    private static string Summary(IReadOnlyList<FieldViolation> violations)
    {
        const int shown = 10;
        string text = string.Join("; ", violations.Take(shown).Select(v => $"{v.Field}: {v.Reason}"));
        return violations.Count > shown ? $"{text}; and {violations.Count - shown} more" : text;
    }

    private static FieldViolation First(IReadOnlyList<FieldViolation> violations) =>
        violations.Count > 0 ? violations[0]
            : throw new ArgumentException("at least one violation is needed", nameof(violations));
}

/// <summary>A name does not resolve: unknown device, preset, trace, job (gRPC NotFound). <paramref name="hint"/>,
/// when given, says why a name may not resolve (e.g. how long finished jobs are kept).</summary>
public sealed class NotFoundException(string field, string kind, string name, string? hint = null)
    : PlatformException(field, $"unknown {kind} '{Quote(name)}'" + (hint is null ? "" : $"; {hint}"))
{
    public string Kind { get; } = kind;

    /// <summary>The name as given, as <see cref="PlatformException.Quote"/> quotes it (~100 characters).</summary>
    public string Name { get; } = Quote(name);

    public string? Hint { get; } = hint;

    public override PlatformException Under(string parent) =>
        new NotFoundException(Nest(parent, Field), Kind, Name, Hint);
}

/// <summary>The input is well-formed but the system is not in a state to honour it, e.g. a model that does not fit
/// (gRPC FailedPrecondition).</summary>
public sealed class PreconditionFailedException(string field, string reason) : PlatformException(field, reason)
{
    public override PlatformException Under(string parent) =>
        new PreconditionFailedException(Nest(parent, Field), Reason);
}

/// <summary>A limit was exceeded: device memory, host element or message limits (gRPC ResourceExhausted).</summary>
public sealed class LimitExceededException(string field, string reason, double needed = 0, double available = 0)
    : PlatformException(field, reason)
{
    public double Needed { get; } = needed;
    public double Available { get; } = available;

    public override PlatformException Under(string parent) =>
        new LimitExceededException(Nest(parent, Field), Reason, Needed, Available);
}
