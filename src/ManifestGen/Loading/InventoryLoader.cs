using System.Collections.Immutable;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;

namespace ManifestGen.Loading;

/// <summary>The result of loading one environment: the model is null when loading reported an error.</summary>
public sealed record LoadResult(string Environment, LoadedInventory? Inventory, ImmutableArray<Diagnostic> Diagnostics);

/// <summary>
/// Loads an environment file and the chain of base files it <c>extends</c>, layers them (later wins, maps
/// merge, lists replace, an explicit null removes an inherited key: like <c>helm -f base -f env</c>) and
/// binds the result onto <see cref="InventorySpec"/>. File names in diagnostics are relative to
/// <paramref name="displayRoot"/> and use '/'.
/// </summary>
public sealed class InventoryLoader(string displayRoot)
{
    public const string ExtendsKey = "extends";
    private const int MaxChain = 8;

    public LoadResult Load(string environmentFile)
    {
        var diagnostics = new List<Diagnostic>();
        var environment = EnvironmentName(environmentFile);
        var files = new List<string>();
        var layers = new List<YMapping>();
        var ok = ReadChain(Path.GetFullPath(environmentFile), files, layers, diagnostics);
        if (!ok || layers.Count == 0)
            return new LoadResult(environment, null, DiagnosticOrder.Sort(diagnostics));

        // layers holds the environment file first; apply the bases first so the environment wins.
        var merged = layers[^1];
        for (var i = layers.Count - 2; i >= 0; i--)
            merged = (YMapping)Layering.Merge(merged, layers[i]);
        merged = merged.Without(ExtendsKey);

        var binder = new ModelBinder(diagnostics);
        var model = binder.Bind<InventorySpec>(merged);
        var sourceMap = new SourceMap(binder.Entries, new SourceSpan(Display(files[0]), 1, 1));
        var loaded = model is null
            ? null
            : new LoadedInventory(environment, model, sourceMap, [.. files.Select(Display)]);
        return new LoadResult(environment, loaded, DiagnosticOrder.Sort(diagnostics));
    }

    /// <summary>The environment files of a values directory: *.yaml and *.yml not starting with '_' (base files do).</summary>
    public static ImmutableArray<string> EnvironmentFiles(string valuesDirectory) =>
        [.. Directory.EnumerateFiles(valuesDirectory)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Where(f => !Path.GetFileName(f).StartsWith('_'))
            .Order(StringComparer.Ordinal)];

    public static string EnvironmentName(string file) => Path.GetFileNameWithoutExtension(file);

    private bool ReadChain(string file, List<string> files, List<YMapping> layers, List<Diagnostic> diagnostics)
    {
        string? text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.FileNotReadable, SourceSpan.WholeFile(Display(file)),
                $"cannot read {Display(file)}: {ex.Message}"));
            return false;
        }
        files.Add(file);
        if (text.Length > 0 && text[0] == '\uFEFF')
            text = text[1..];
        var root = YamlTreeReader.Read(text, Display(file), diagnostics);
        if (diagnostics.Any(d => d.Severity == Severity.Error && d.Location.File == Display(file)))
            return false;
        if (root is not null)
            LookAlikeScan.Scan(root, diagnostics);
        if (root is null)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.MissingRequired, new SourceSpan(Display(file), 1, 1),
                "the file is empty; an inventory is a mapping with namespace, gitOps, image, repository and hosts"));
            return false;
        }
        if (root is not YMapping map)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.WrongType, root.Span,
                "an inventory file must be a mapping of fields at the top level"));
            return false;
        }
        layers.Add(map);

        if (map.Find(ExtendsKey) is not { } extends)
            return true;
        if (extends.Value is not YScalar { IsNull: false } baseName)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.WrongType, extends.Value.Span,
                "'extends' must be the file name of a base inventory, e.g. _base.yaml"));
            return false;
        }
        if (baseName.Value.Length == 0 || baseName.Value.IndexOfAny([.. Path.GetInvalidPathChars()]) >= 0)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.BaseFileProblem, baseName.Span,
                "'extends' names no usable file (empty, or control characters in the name)"));
            return false;
        }
        var basePath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, baseName.Value));
        if (files.Contains(basePath, StringComparer.Ordinal))
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.BaseFileProblem, baseName.Span,
                $"'extends: {baseName.Value}' forms a cycle: {string.Join(" -> ", files.Append(basePath).Select(Display))}"));
            return false;
        }
        if (files.Count >= MaxChain)
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.BaseFileProblem, baseName.Span,
                $"more than {MaxChain} files in the 'extends' chain"));
            return false;
        }
        if (!File.Exists(basePath))
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.BaseFileProblem, baseName.Span,
                $"base file '{baseName.Value}' does not exist (looked for {Display(basePath)})",
                "the path is relative to the file that names it"));
            return false;
        }
        return ReadChain(basePath, files, layers, diagnostics);
    }

    private string Display(string file)
    {
        var relative = Path.GetRelativePath(displayRoot, file);
        return (relative.StartsWith("..", StringComparison.Ordinal) ? file : relative).Replace('\\', '/');
    }
}

/// <summary>How two layers combine: maps merge key by key, everything else (lists, scalars) is replaced.</summary>
public static class Layering
{
    public static YNode Merge(YNode lower, YNode upper)
    {
        if (lower is not YMapping lowerMap || upper is not YMapping upperMap)
            return upper;
        var entries = new List<YEntry>();
        foreach (var entry in lowerMap.Entries)
        {
            var over = upperMap.Find(entry.Key.Value);
            if (over is null)
                entries.Add(entry);
            else if (over.Value is YScalar { IsNull: true })
                continue; // an explicit null in the upper layer removes the inherited key
            else
                entries.Add(new YEntry(over.Key, Merge(entry.Value, over.Value)));
        }
        foreach (var entry in upperMap.Entries)
            if (lowerMap.Find(entry.Key.Value) is null)
                entries.Add(entry);
        return new YMapping(upperMap.Span, [.. entries]);
    }
}
