using System.Collections.Immutable;
using ManifestGen.Diagnostics;
using ManifestGen.Diagnostics.Formatting;
using ManifestGen.Inventory;
using ManifestGen.Loading;
using ManifestGen.Validation.Rules;

namespace ManifestGen.Tests.Validation;

/// <summary>Loads an inventory the way the pipeline does and runs every discovered check on it.</summary>
internal static class ValidationHarness
{
    /// <summary>
    /// Validates <paramref name="inventoryFile"/>; other environment files next to it (not starting with
    /// '_') are validated too and checked together with it, as `validate` does for values/.
    /// </summary>
    public static ImmutableArray<Diagnostic> Validate(string inventoryFile, string displayRoot)
    {
        var loader = new InventoryLoader(displayRoot);
        var found = new List<Diagnostic>();
        var inventories = new List<LoadedInventory>();
        var siblings = InventoryLoader.EnvironmentFiles(Path.GetDirectoryName(inventoryFile)!)
            .Where(f => f != inventoryFile && Path.GetFileName(f) != "base-valid.yaml");
        foreach (var file in siblings.Prepend(inventoryFile))
        {
            var loaded = loader.Load(file);
            found.AddRange(loaded.Diagnostics);
            if (loaded.Inventory is { } inventory)
            {
                found.AddRange(InventoryChecks.Run(inventory));
                inventories.Add(inventory);
            }
        }
        found.AddRange(EnvironmentSetRules.Check(inventories));
        return DiagnosticOrder.Sort(found);
    }

    /// <summary>The text report as a person sees it, with the files under <paramref name="displayRoot"/> quoted.</summary>
    public static string Report(ImmutableArray<Diagnostic> diagnostics, string displayRoot)
    {
        var output = new StringWriter { NewLine = "\n" };
        DiagnosticFormatter.Write(ReportFormat.Text, diagnostics, SourceSet.FromFiles(diagnostics.Select(d => d.Location.File), displayRoot), output);
        return output.ToString();
    }

    /// <summary>Checks against a model built in code (for rule tests that do not need a file).</summary>
    public static ImmutableArray<Diagnostic> Run(IInventoryCheck check, LoadedInventory inventory) =>
        DiagnosticOrder.Sort(check.Check(inventory));
}
