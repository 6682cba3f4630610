using FluentValidation;
using FluentValidation.Results;
using ManifestGen.Diagnostics;

namespace ManifestGen.Validation;

/// <summary>
/// What a failure needs besides FluentValidation's message to become a diagnostic: whether it is about
/// the field as a whole (reported at its key) and a hint for this case (else the catalogue's fix).
/// A <see cref="Fragment"/> places the diagnostic at that text inside the scalar (an NFS mount option in a list).
/// Carried as the failure's <see cref="ValidationFailure.CustomState"/>.
/// </summary>
public sealed record FailurePlacement(bool AtKey = false, string? Hint = null, string? Fragment = null);

/// <summary>
/// The one way a typed-inventory rule is written: a FluentValidation validator whose rules carry the
/// catalogue's code (<see cref="Code{T,TProperty}"/>, i.e. <c>WithErrorCode</c>) and the YAML key as the
/// property name (<c>OverridePropertyName("port")</c>, or a path such as <c>hooks.before[0].timeoutSeconds</c>
/// for a custom failure), and this adapter, which turns each failure into a <see cref="Diagnostic"/> at the
/// source location of <c>basePath.PropertyName</c>. Validators are built once and hold no state; nothing
/// here reflects over types at run time, so it is safe in the trimmed native build.
/// The placeholder, secret and YAML 1.1 rules (<c>ValueScanRules</c>, <see cref="YamlTraps"/>) are not written
/// this way on purpose: they scan the raw YAML tree, every scalar whatever its place in the typed inventory,
/// so there is no typed object for a validator to hold.
/// </summary>
public static class ValidatorAdapter
{
    /// <summary>Validates <paramref name="instance"/> (the model object at <paramref name="basePath"/>) and reports every failure.</summary>
    public static void Validate<T>(this RuleSink sink, IValidator<T> validator, T instance, string basePath)
    {
        foreach (var failure in validator.Validate(instance).Errors)
            sink.Report(failure, basePath);
    }

    /// <summary>Reports one failure; an unknown code is a bug in a validator and becomes MG0099.</summary>
    public static void Report(this RuleSink sink, ValidationFailure failure, string basePath)
    {
        var rule = DiagnosticCatalogue.Find(failure.ErrorCode) ?? DiagnosticCatalogue.InternalCheckError;
        var path = basePath.Length == 0 ? failure.PropertyName
            : failure.PropertyName.Length == 0 ? basePath
            : basePath + "." + failure.PropertyName;
        var placement = failure.CustomState as FailurePlacement ?? new FailurePlacement();
        if (placement.Fragment is { } fragment)
            sink.ReportInValue(rule, path, fragment, failure.ErrorMessage, placement.Hint);
        else if (placement.AtKey)
            sink.ReportKey(rule, path, failure.ErrorMessage, placement.Hint);
        else
            sink.Report(rule, path, failure.ErrorMessage, placement.Hint);
    }

    /// <summary>The catalogue code of a rule: <c>WithErrorCode(rule.Code)</c>.</summary>
    public static IRuleBuilderOptions<T, TProperty> Code<T, TProperty>(this IRuleBuilderOptions<T, TProperty> builder, DiagnosticRule rule) =>
        builder.WithErrorCode(rule.Code);

    /// <summary>Report at the field's key rather than its value (for "missing" or "the field as a whole").</summary>
    public static IRuleBuilderOptions<T, TProperty> AtKey<T, TProperty>(this IRuleBuilderOptions<T, TProperty> builder) =>
        builder.WithState(_ => new FailurePlacement(AtKey: true));

    /// <summary>A custom failure (from <c>Custom</c>): code, YAML path relative to the validated object, message and hint.</summary>
    public static ValidationFailure Failure(DiagnosticRule rule, string path, string message, string? hint = null, bool atKey = false, string? fragment = null) =>
        new(path, message) { ErrorCode = rule.Code, CustomState = new FailurePlacement(atKey, hint, fragment) };
}
