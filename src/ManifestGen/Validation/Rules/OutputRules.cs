using System.Text.RegularExpressions;
using FluentValidation;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Output.Helm;

namespace ManifestGen.Validation.Rules;

/// <summary>The chart settings with the environment whose name the default chart name is derived from.</summary>
internal sealed record HelmChartInput(string Environment, HelmChartSpec Chart);

/// <summary>The chart's name and version as Helm accepts them, reported under <c>output.helmChart</c>.</summary>
internal sealed partial class HelmChartValidator : AbstractValidator<HelmChartInput>
{
    [GeneratedRegex(@"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex ChartName();

    // SemVer 2.0.0 (semver.org's own expression).
    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$", RegexOptions.CultureInvariant)]
    private static partial Regex SemVer();

    public static bool IsValidName(string name) => ChartName().IsMatch(name);

    public HelmChartValidator()
    {
        RuleFor(i => i).Custom((input, context) =>
        {
            var chart = input.Chart;
            var name = HelmChart.NameOf(input.Environment, chart);
            // The default name is checked only when the chart is rendered; an explicit one always.
            if ((!chart.Enabled && chart.Name is null) || IsValidName(name))
                return;
            var message = $"`{name}` is not a chart name (lower-case letters, digits and '-', starting with a letter, at most 63)";
            context.AddFailure(chart.Name is null
                ? ValidatorAdapter.Failure(DiagnosticCatalogue.HelmChartInvalid, "", "the default name " + message, "set `output.helmChart.name`", atKey: true)
                : ValidatorAdapter.Failure(DiagnosticCatalogue.HelmChartInvalid, "name", message));
        });
        RuleFor(i => i.Chart.Version).Must(version => SemVer().IsMatch(version))
            .OverridePropertyName("version").Code(DiagnosticCatalogue.HelmChartInvalid)
            .WithMessage(i => $"`{i.Chart.Version}` is not a SemVer 2 version such as 1.0.0");
    }
}

/// <summary>MG0920: the Helm chart's name and version are what Helm accepts.</summary>
public sealed class HelmChartRule : InventoryRule
{
    private static readonly HelmChartValidator Validator = new();

    public static bool IsValidName(string name) => HelmChartValidator.IsValidName(name);

    protected override void Run(LoadedInventory inventory, RuleSink sink) =>
        sink.Validate(Validator, new HelmChartInput(inventory.Environment, inventory.Model.Output.HelmChart), "output.helmChart");
}
