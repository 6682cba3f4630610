using System.Globalization;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;

namespace ManifestGen.Validation.Rules;

/// <summary>
/// MG0718: an app setting written for an app whose strategy never reads it (the list is the runner's,
/// <see cref="StrategySettings"/>): the operator believes a timeout or a re-copy applies, and it does not.
/// </summary>
public sealed class StrategySettingRule : InventoryRule
{
    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        foreach (var app in InventoryResolution.Apps(inventory.Model))
            foreach (var (key, readers) in StrategySettings.ReadOnlyBy)
            {
                var path = $"{app.Path}.{key}";
                if (!inventory.SourceMap.IsSet(path) || readers.Contains(app.Strategy))
                    continue;
                sink.ReportKey(DiagnosticCatalogue.SettingNotReadByStrategy, path,
                    $"app {app.Host.Name}/{app.App.Name} uses {Name(app.Strategy)}, and only {string.Join(" and ", readers.Select(Name))} reads `{key}`: it does nothing here",
                    $"remove `{key}`, or set `strategy: {Name(readers[0])}` if that is what the app needs");
            }
    }

    private static string Name(TransferStrategy strategy) => strategy.ToString().ToLowerInvariant();
}

/// <summary>
/// MG0416: a starting deadline shorter than the CronJob controller's pass. The controller looks at each
/// CronJob about every 10 seconds; a run it notices later than `startingDeadlineSeconds` after its time is
/// skipped and counted as missed, without a failed Job, so backups silently do not happen.
/// </summary>
public sealed class StartingDeadlineRule : InventoryRule
{
    /// <summary>The CronJob controller's resync period (Kubernetes' documented lower bound for the deadline).</summary>
    public const int ControllerPassSeconds = 10;

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var seconds = inventory.Model.Defaults.StartingDeadlineSeconds;
        if (seconds is >= 0 and < ControllerPassSeconds)
            sink.Report(DiagnosticCatalogue.StartingDeadlineTooShort, "defaults.startingDeadlineSeconds",
                string.Create(CultureInfo.InvariantCulture,
                    $"{seconds} s is shorter than the CronJob controller's pass ({ControllerPassSeconds} s): runs it notices late are skipped as missed, with no failed Job to alert on"));
    }
}

/// <summary>
/// MG0610: a drill sample the runner refuses (its own parser, <see cref="DrillSample"/>): every drill run
/// would stop with a usage error, and no drill would ever prove a restore.
/// </summary>
public sealed class DrillSampleRule : InventoryRule
{
    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var drill = inventory.Model.Maintenance.Drill;
        if (drill.Enabled && DrillSample.WhyNot(DrillSample.Format(drill.SampleFiles)) is { } why)
            sink.Report(DiagnosticCatalogue.DrillSampleRefused, "maintenance.drill.sampleFiles",
                $"{why}: the runner refuses the drill's arguments, and every drill run fails without restoring a file");
    }
}
