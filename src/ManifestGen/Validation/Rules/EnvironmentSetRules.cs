using System.Collections.Immutable;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Validation.Rules;

/// <summary>
/// Rules over all environments together (an inventory alone cannot see them): MG0509, two repository
/// volumes on the same or nested directory of one NFS server (or one node's local disk).
/// </summary>
public static class EnvironmentSetRules
{
    /// <param name="inventories">Every environment's inventory.</param>
    /// <param name="reported">Environments whose findings are wanted (a finding is kept when either environment of the pair is).</param>
    public static ImmutableArray<Diagnostic> Check(IEnumerable<LoadedInventory> inventories, Func<string, bool>? reported = null)
    {
        var volumes = inventories
            .OrderBy(i => i.Environment, StringComparer.Ordinal)
            .Select(Volume)
            .Where(v => v is not null)
            .Select(v => v!.Value)
            .ToList();
        var found = new List<Diagnostic>();
        for (int i = 0; i < volumes.Count; i++)
            for (int j = 0; j < i; j++)
            {
                var (a, b) = (volumes[j], volumes[i]);
                if (!string.Equals(a.Server, b.Server, StringComparison.OrdinalIgnoreCase) || !PosixPath.Overlap(a.Dir, b.Dir))
                    continue;
                if (reported is not null && !reported(a.Inventory.Environment) && !reported(b.Inventory.Environment))
                    continue;
                var relation = PosixPath.Normalise(a.Dir) == PosixPath.Normalise(b.Dir) ? "the same directory as"
                    : PosixPath.IsSameOrUnder(b.Dir, a.Dir) ? "inside" : "a parent of";
                found.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.NfsPathOverlap, b.Inventory.SourceMap.SpanOf(b.Path),
                    $"{b.Path}: `{b.Dir}` on {b.Server} is {relation} the repository of environment {a.Inventory.Environment} (`{a.Dir}`, {a.Inventory.Files[0]}); the two volumes would write into each other"));
            }
        return DiagnosticOrder.Sort(found);
    }

    private static (LoadedInventory Inventory, string Server, string Dir, string Path)? Volume(LoadedInventory inventory)
    {
        var storage = inventory.Model.Repository.Storage;
        if (storage.Nfs is { } nfs && nfs.Path.StartsWith('/'))
            return (inventory, nfs.Server, nfs.Path, "repository.storage.nfs.path");
        if (storage.Local is { } local && local.Path.StartsWith('/'))
            return (inventory, "node " + local.Node, local.Path, "repository.storage.local.path");
        return null;
    }
}
