using ManifestGen.Diagnostics;

namespace ManifestGen.Inventory;

/// <summary>
/// A validation rule over a loaded inventory. The pipeline runs every rule listed in
/// <see cref="InventoryChecks"/> (a test checks that every implementation in this assembly is listed),
/// before rendering; an error stops rendering of that environment. Implementations must not throw on
/// strange values: report a diagnostic instead.
/// </summary>
public interface IInventoryCheck
{
    IEnumerable<Diagnostic> Check(LoadedInventory inventory);
}

public static class InventoryChecks
{
    // Listed, not discovered by reflection: the generator runs as a trimmed native executable, where
    // scanning an assembly's types is neither reliable nor cheap. Ordered by type name.
    private static readonly IReadOnlyList<IInventoryCheck> All =
    [
        new Validation.Rules.CopyRule(),
        new Validation.Rules.CoverageRule(),
        new Validation.Rules.DrillSampleRule(),
        new Validation.Rules.ExcludeScopeRule(),
        new Validation.Rules.HelmChartRule(),
        new Validation.Rules.HookTimeoutRule(),
        new Validation.Rules.HostGateRule(),
        new Validation.Rules.HostRule(),
        new Validation.Rules.ImageRule(),
        new Validation.Rules.NameRule(),
        new Validation.Rules.NetworkRule(),
        new Validation.Rules.PlaceholderRule(),
        new Validation.Rules.QuantityMeaningRule(),
        new Validation.Rules.QuantityRule(),
        new Validation.Rules.ReportingRule(),
        new Validation.Rules.RepositoryServerRule(),
        new Validation.Rules.RetentionRule(),
        new Validation.Rules.ScheduleRule(),
        new Validation.Rules.SecretMaterialRule(),
        new Validation.Rules.SecretProvisioningRule(),
        new Validation.Rules.StartingDeadlineRule(),
        new Validation.Rules.StorageRule(),
        new Validation.Rules.StrategySettingRule(),
        new Validation.Rules.Yaml11TrapRule(),
    ];

    public static IReadOnlyList<IInventoryCheck> Discovered => All;

    public static IReadOnlyList<Diagnostic> Run(LoadedInventory inventory)
    {
        // Rules only read the inventory: they run side by side (the schedule rule alone walks hundreds of
        // days for every job), each into its own slot, joined in the listed order as if run one by one.
        var found = PerCore.Map(Discovered.Count, i =>
        {
            var check = Discovered[i];
            try
            {
                return check.Check(inventory).ToList();
            }
#pragma warning disable CA1031 // one faulty rule must not turn a finding into a crash of the whole tool
            catch (Exception ex)
#pragma warning restore CA1031
            {
                return [DiagnosticCatalogue.Create(DiagnosticCatalogue.InternalCheckError, inventory.SourceMap.Root,
                    $"rule {check.GetType().Name} failed: {ex.GetType().Name}: {ex.Message}")];
            }
        });
        return DiagnosticOrder.Sort([.. found.SelectMany(f => f)]);
    }
}
