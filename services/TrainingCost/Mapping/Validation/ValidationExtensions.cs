using FluentValidation;
using Platform.Modeling.Errors;

namespace TrainingCost.Mapping.Validation;

/// <summary>Glue between FluentValidation and the platform's error model.</summary>
public static class ValidationExtensions
{
    /// <summary>Names the rule's field as the proto does (snake_case), which is how clients see it in errors.</summary>
    public static IRuleBuilderOptions<T, TProperty> ProtoName<T, TProperty>(this IRuleBuilderOptions<T, TProperty> rule, string name) =>
        rule.OverridePropertyName(name);

    /// <summary>
    /// Throws <see cref="InvalidFieldException"/> with one violation per failed rule (the interceptor turns it
    /// into InvalidArgument with google.rpc.BadRequest field violations) unless <paramref name="request"/> is valid.
    /// </summary>
    public static void ThrowIfInvalid<T>(this IValidator<T> validator, T request)
    {
        var result = validator.Validate(request);
        if (!result.IsValid)
            throw new InvalidFieldException(result.Errors.Select(e => new FieldViolation(e.PropertyName, e.ErrorMessage)).ToArray());
    }
}

/// <summary>Proto enum checks: values a newer client may send that this server does not know.</summary>
public static class ProtoEnums
{
    public static bool IsDefined<TEnum>(TEnum value) where TEnum : struct, Enum => Enum.IsDefined(value);
}
