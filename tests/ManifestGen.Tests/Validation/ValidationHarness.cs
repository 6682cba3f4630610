using System.Collections.Immutable;
using ManifestGen.Diagnostics;
using ManifestGen.Diagnostics.Formatting;
using ManifestGen.Inventory;
using ManifestGen.Loading;

namespace ManifestGen.Tests.Validation;

/// <summary>Loads an inventory the way the pipeline does and runs every discovered check on it.</summary>
internal static class ValidationHarness
{
    public static ImmutableArray<Diagnostic> Validate(string inventoryFile, string displayRoot)
    {
        var loaded = new InventoryLoader(displayRoot).Load(inventoryFile);
        var found = loaded.Diagnostics.ToList();
        if (loaded.Inventory is { } inventory)
            found.AddRange(InventoryChecks.Run(inventory));
        return DiagnosticOrder.Sort(found);
    }

    /// <summary>The text report as a person sees it, with the files under <paramref name="displayRoot"/> quoted.</summary>
    public static string Report(ImmutableArray<Diagnostic> diagnostics, string displayRoot)
    {
        // Diagnostics name files relative to the display root; the source set is keyed the same way.
        var byDisplay = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in diagnostics.Select(d => d.Location.File).Distinct())
        {
            var full = Path.Combine(displayRoot, file);
            if (File.Exists(full))
                byDisplay[file] = File.ReadAllText(full);
        }
        var output = new StringWriter { NewLine = "\n" };
        DiagnosticFormatter.Write(ReportFormat.Text, diagnostics, new SourceSet(byDisplay), output);
        return output.ToString();
    }

    /// <summary>Checks against a model built in code (for rule tests that do not need a file).</summary>
    public static ImmutableArray<Diagnostic> Run(IInventoryCheck check, LoadedInventory inventory) =>
        DiagnosticOrder.Sort(check.Check(inventory));
}
