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

    public static IReadOnlyList<Diagnostic> Run(LoadedInventory inventory)
    {
        var all = new List<Diagnostic>();
        foreach (var check in Discovered)
        {
            try
            {
                all.AddRange(check.Check(inventory));
            }
#pragma warning disable CA1031 // one faulty rule must not turn a finding into a crash of the whole tool
            catch (Exception ex)
#pragma warning restore CA1031
            {
                all.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.InternalCheckError, inventory.SourceMap.Root,
                    $"rule {check.GetType().Name} failed: {ex.GetType().Name}: {ex.Message}"));
            }
        }
        return DiagnosticOrder.Sort(all);
    }
}
