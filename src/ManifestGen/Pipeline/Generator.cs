using System.Collections.Immutable;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Loading;
using ManifestGen.Output;
using ManifestGen.Planning;
using ManifestGen.Rendering;

namespace ManifestGen.Pipeline;

/// <summary>Where the generator reads and writes; all relative to the repository root.</summary>
public sealed record GeneratorPaths(string Root)
{
    public string Values { get; init; } = Path.Combine(Root, "values");
    public string Templates { get; init; } = Path.Combine(Root, "templates");
    public string Out { get; init; } = Path.Combine(Root, "out");
}

/// <summary>One environment's result: diagnostics, and the files (relative to out/) when it rendered without errors.</summary>
public sealed record EnvironmentResult(string Environment, ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<OutputFile> Files, EnvironmentPlan? Plan)
{
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>
/// The pure core: load → validate → plan → render → strict re-parse → cross-object checks → canonical
/// text, all in memory. It never writes to the console; writing out/ is <see cref="OutputTree"/>'s job.
/// </summary>
public sealed class Generator(GeneratorPaths paths)
{
    public const string ManifestsFolder = "manifests";
    public const string ApplicationFile = "application.yaml";
    public const string SecretsFile = "SECRETS.md";

    public GeneratorPaths Paths => paths;

    /// <summary>Environment files in values/, or just the named one (null with a diagnostic when it does not exist).</summary>
    public ImmutableArray<string> EnvironmentFiles(string? only, List<Diagnostic> diagnostics)
    {
        if (!Directory.Exists(paths.Values))
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.FileNotReadable, SourceSpan.WholeFile("values"), "the folder values/ does not exist"));
            return [];
        }
        var all = InventoryLoader.EnvironmentFiles(paths.Values);
        if (only is null)
            return all;
        var match = all.Where(f => InventoryLoader.EnvironmentName(f) == only).ToImmutableArray();
        if (match.IsEmpty)
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.FileNotReadable, SourceSpan.WholeFile($"values/{only}.yaml"),
                $"no environment '{only}' in values/ (known: {string.Join(", ", all.Select(InventoryLoader.EnvironmentName))})"));
        return match;
    }

    /// <summary>Loads and validates (every <see cref="IInventoryCheck"/>), without rendering.</summary>
    public (LoadedInventory? Inventory, ImmutableArray<Diagnostic> Diagnostics) Validate(string environmentFile)
    {
        var load = new InventoryLoader(paths.Root).Load(environmentFile);
        if (load.Inventory is null)
            return (null, load.Diagnostics);
        return (load.Inventory, DiagnosticOrder.Sort([.. load.Diagnostics, .. InventoryChecks.Run(load.Inventory)]));
    }

    public EnvironmentResult Render(string environmentFile)
    {
        var env = InventoryLoader.EnvironmentName(environmentFile);
        var (inventory, validation) = Validate(environmentFile);
        if (inventory is null || validation.Any(d => d.Severity == Severity.Error))
            return new EnvironmentResult(env, validation, [], null);
        return Render(inventory, validation);
    }

    public EnvironmentResult Render(LoadedInventory inventory, IEnumerable<Diagnostic> earlier)
    {
        var env = inventory.Environment;
        var diagnostics = new List<Diagnostic>(earlier);
        var plan = Planner.Plan(inventory, diagnostics);
        var renderer = new TemplateRenderer(paths.Templates);
        var units = plan.Manifests.Select(u => (Unit: u, IsApplication: false)).Append((plan.Application, true)).ToArray();
        // Render, strict re-parse and canonical text are independent per object: run them in parallel,
        // keep every result and its diagnostics at the object's index so the output does not depend on
        // scheduling (diagnostics are sorted at the end anyway).
        var results = new UnitResult[units.Length];
        Parallel.For(0, units.Length, i =>
        {
            var (unit, isApplication) = units[i];
            var local = new List<Diagnostic>();
            PlacedObject? placedObject = null;
            string? content = null;
            var text = renderer.Render(unit.Template, unit.Model, local);
            // The node tree is needed only for the canonical text; not keeping it roughly halves peak memory.
            if (text is not null && ObjectReader.Read(text, renderer.Display(unit.Template), local, out var json) is { } obj)
            {
                content = CanonicalYaml.Write(json!);
                placedObject = new PlacedObject(obj, inventory.SourceMap.SpanOf(unit.SourcePath));
            }
            results[i] = new UnitResult(placedObject, isApplication, content, local);
        });
        foreach (var r in results)
            diagnostics.AddRange(r.Diagnostics);
        var placed = results.Where(r => r.Placed is not null).Select(r => (Placed: r.Placed!, r.IsApplication, Content: r.Content!)).ToList();
        diagnostics.AddRange(CrossObjectChecks.Check([.. placed.Select(p => p.Placed)]));

        var files = new List<OutputFile>();
        foreach (var (p, isApplication, content) in placed)
        {
            var path = isApplication
                ? $"{env}/{ApplicationFile}"
                : $"{env}/{ManifestsFolder}/{p.Object.Kind.ToLowerInvariant()}-{p.Object.Name}.yaml";
            diagnostics.AddRange(CrossObjectChecks.CheckText(content, "out/" + path, p.Origin, inventory.Model.Placeholders));
            files.Add(new OutputFile(path, content));
        }
        files.Add(new OutputFile($"{env}/{SecretsFile}", SecretsReport.Write(plan)));
        files.AddRange(plan.HostFiles.Select(f => new OutputFile($"{env}/{f.Path}", f.Content)));

        var sorted = DiagnosticOrder.Sort(diagnostics);
        var failed = sorted.Any(d => d.Severity == Severity.Error);
        // Nothing half-done: an environment with errors produces no files at all.
        return new EnvironmentResult(env, sorted, failed ? [] : [.. files.OrderBy(f => f.Path, StringComparer.Ordinal)], plan);
    }
}

/// <summary>One rendered object (null when it failed), its canonical text and the diagnostics it produced.</summary>
internal sealed record UnitResult(PlacedObject? Placed, bool IsApplication, string? Content, List<Diagnostic> Diagnostics);
