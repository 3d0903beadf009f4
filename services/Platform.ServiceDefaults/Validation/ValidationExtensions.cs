using FluentValidation;
using FluentValidation.Results;
using Platform.Modeling.Errors;

namespace Platform.ServiceDefaults.Validation;

/// <summary>
/// Glue between FluentValidation and the platform's error model, shared by every service's request validators:
/// field names as the proto spells them, failures as <see cref="InvalidFieldException"/> (one violation per field),
/// and limits as <see cref="LimitExceededException"/>.
/// </summary>
public static class ValidationExtensions
{
    /// <summary>The error code of a rule marked with <see cref="AsLimit{T,TProperty}"/>.</summary>
    public const string LimitErrorCode = "LIMIT_EXCEEDED";

    /// <summary>Names the rule's field as the proto does (snake_case), which is how clients see it in errors.</summary>
    public static IRuleBuilderOptions<T, TProperty> ProtoName<T, TProperty>(
        this IRuleBuilderOptions<T, TProperty> rule, string name) =>
        rule.OverridePropertyName(name);

    /// <summary>
    /// Marks the rule as a limit of the server rather than a malformed value: its failure is reported as
    /// ResourceExhausted (<see cref="LimitExceededException"/>) with the amount needed and available.
    /// </summary>
    public static IRuleBuilderOptions<T, TProperty> AsLimit<T, TProperty>(this IRuleBuilderOptions<T, TProperty> rule,
        Func<T, TProperty, double> needed, double available) =>
        rule.WithErrorCode(LimitErrorCode).WithState((x, v) => new Limit(needed(x, v), available));

    /// <summary>
    /// Throws unless <paramref name="request"/> is valid: <see cref="LimitExceededException"/> when a limit rule failed
    /// (a request over a limit is refused as such, whatever else is wrong with it), otherwise
    /// <see cref="InvalidFieldException"/> with one violation per failed rule (the interceptor turns it into
    /// InvalidArgument with google.rpc.BadRequest field violations).
    /// </summary>
    public static void ThrowIfInvalid<T>(this IValidator<T> validator, T request)
    {
        var result = validator.Validate(request);
        if (!result.IsValid) throw ToException(result);
    }

    /// <summary>The platform error for a failed validation result.</summary>
    public static PlatformException ToException(ValidationResult result)
    {
        if (result.IsValid) throw new ArgumentException("the result has no failures", nameof(result));
        if (result.Errors.FirstOrDefault(e => e.ErrorCode == LimitErrorCode) is { } limit)
        {
            var (needed, available) = limit.CustomState is Limit l ? (l.Needed, l.Available) : (0d, 0d);
            return new LimitExceededException(limit.PropertyName, limit.ErrorMessage, needed, available);
        }
        var violations = result.Errors.Select(e => new FieldViolation(e.PropertyName, e.ErrorMessage)).ToArray();
        return new InvalidFieldException(violations);
    }

    private sealed record Limit(double Needed, double Available);
}

/// <summary>Proto enum checks: values a newer client may send that this server does not know.</summary>
public static class ProtoEnums
{
    public static bool IsDefined<TEnum>(TEnum value) where TEnum : struct, Enum => Enum.IsDefined(value);
}
