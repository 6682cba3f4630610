using ManifestGen.Diagnostics;

namespace ManifestGen.Inventory;

/// <summary>
/// A validation rule over a loaded inventory. The pipeline runs every non-abstract implementation in this
/// assembly (found by reflection, ordered by type name, created with a public parameterless constructor),
/// before rendering; an error stops rendering of that environment. Implementations must not throw on
/// strange values: report a diagnostic instead.
/// </summary>
public interface IInventoryCheck
{
    IEnumerable<Diagnostic> Check(LoadedInventory inventory);
}

public static class InventoryChecks
{
    private static readonly Lazy<IReadOnlyList<IInventoryCheck>> All = new(() =>
        typeof(IInventoryCheck).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IInventoryCheck).IsAssignableFrom(t)
                        && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IInventoryCheck)Activator.CreateInstance(t)!)
            .ToList());

    public static IReadOnlyList<IInventoryCheck> Discovered => All.Value;

    public static IReadOnlyList<Diagnostic> Run(LoadedInventory inventory) =>
        DiagnosticOrder.Sort(Discovered.SelectMany(check => check.Check(inventory)));
}
