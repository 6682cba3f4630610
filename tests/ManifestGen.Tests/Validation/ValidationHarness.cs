using System.Collections.Immutable;
using ManifestGen.Diagnostics;
using ManifestGen.Diagnostics.Formatting;
using ManifestGen.Inventory;
using ManifestGen.Loading;
using ManifestGen.Pipeline;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Validation;

/// <summary>Loads an inventory the way the pipeline does and runs every discovered check on it.</summary>
internal static class ValidationHarness
{
    /// <summary>
    /// Generates <paramref name="inventoryFile"/>'s environment through <see cref="Generator.Generate"/>,
    /// as every command does: other environment files next to it (not starting with '_') are loaded too for
    /// the rules across environments. Files are named relative to <paramref name="displayRoot"/>.
    /// </summary>
    public static ImmutableArray<Diagnostic> Validate(string inventoryFile, string displayRoot) =>
        Generate(inventoryFile, displayRoot).Diagnostics;

    public static Generation Generate(string inventoryFile, string displayRoot)
    {
        var paths = new GeneratorPaths(displayRoot)
        {
            Values = Path.GetDirectoryName(Path.GetFullPath(inventoryFile))!,
            Templates = Path.Combine(RepoPaths.Root, "templates"),
            Out = Path.Combine(displayRoot, "out-not-written"),
        };
        return new Generator(paths).Generate(new GenerationRequest(InventoryLoader.EnvironmentName(inventoryFile)));
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
