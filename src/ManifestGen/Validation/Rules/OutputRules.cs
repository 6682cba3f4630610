using System.Text.RegularExpressions;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Output.Helm;

namespace ManifestGen.Validation.Rules;

/// <summary>MG0920: the Helm chart's name and version are what Helm accepts.</summary>
public sealed partial class HelmChartRule : InventoryRule
{
    [GeneratedRegex(@"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex ChartName();

    // SemVer 2.0.0 (semver.org's own expression).
    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$", RegexOptions.CultureInvariant)]
    private static partial Regex SemVer();

    public static bool IsValidName(string name) => ChartName().IsMatch(name);

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var chart = inventory.Model.Output.HelmChart;
        var name = HelmChart.NameOf(inventory.Environment, chart);
        // The default name is checked only when the chart is rendered; an explicit one always.
        if ((chart.Enabled || chart.Name is not null) && !IsValidName(name))
        {
            var message = $"`{name}` is not a chart name (lower-case letters, digits and '-', starting with a letter, at most 63)";
            if (chart.Name is null)
                sink.ReportKey(DiagnosticCatalogue.HelmChartInvalid, "output.helmChart", "the default name " + message, "set `output.helmChart.name`");
            else
                sink.Report(DiagnosticCatalogue.HelmChartInvalid, "output.helmChart.name", message);
        }
        if (!SemVer().IsMatch(chart.Version))
            sink.Report(DiagnosticCatalogue.HelmChartInvalid, "output.helmChart.version", $"`{chart.Version}` is not a SemVer 2 version such as 1.0.0");
    }
}
