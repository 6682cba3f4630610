using System.Collections.Immutable;
using System.Text;
using ManifestGen.Diagnostics;

namespace ManifestGen.Output;

/// <summary>A file the generator produces, path relative to the output root (e.g. "test-cluster/manifests/x.yaml").</summary>
public sealed record OutputFile(string Path, string Content);

public enum DriftKind { Changed, Missing, Extra }

public sealed record FileDrift(string Path, DriftKind Kind, string? Expected, string? Actual);

/// <summary>
/// The output folder is owned by the tool: writing an environment replaces its folder's content exactly
/// (stale files deleted, unchanged files left untouched), and comparison reports every changed, missing
/// or extra file.
/// </summary>
public static class OutputTree
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static IEnumerable<string> ExistingFiles(string outRoot, string environment)
    {
        var dir = Path.Combine(outRoot, environment);
        if (!Directory.Exists(dir))
            return [];
        return Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(outRoot, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
    }

    /// <summary>Folders under the output root that belong to no environment (a removed environment's output).</summary>
    public static IEnumerable<string> StaleEnvironments(string outRoot, IEnumerable<string> environments)
    {
        if (!Directory.Exists(outRoot))
            return [];
        var known = environments.ToHashSet(StringComparer.Ordinal);
        return Directory.EnumerateDirectories(outRoot).Select(Path.GetFileName).OfType<string>()
            .Where(d => !known.Contains(d)).Order(StringComparer.Ordinal);
    }

    public static ImmutableArray<FileDrift> Compare(string outRoot, string environment, IReadOnlyList<OutputFile> expected)
    {
        var drift = new List<FileDrift>();
        var wanted = expected.ToDictionary(f => f.Path, StringComparer.Ordinal);
        foreach (var existing in ExistingFiles(outRoot, environment))
            if (!wanted.ContainsKey(existing))
                drift.Add(new FileDrift(existing, DriftKind.Extra, null, ReadOrNull(Path.Combine(outRoot, existing))));
        foreach (var file in expected)
        {
            var actual = ReadOrNull(Path.Combine(outRoot, file.Path));
            if (actual is null)
                drift.Add(new FileDrift(file.Path, DriftKind.Missing, file.Content, null));
            else if (actual != file.Content)
                drift.Add(new FileDrift(file.Path, DriftKind.Changed, file.Content, actual));
        }
        return [.. drift.OrderBy(d => d.Path, StringComparer.Ordinal)];
    }

    /// <summary>Writes an environment's files; returns diagnostics for anything that could not be written.</summary>
    public static ImmutableArray<Diagnostic> Write(string outRoot, string environment, IReadOnlyList<OutputFile> files)
    {
        var diagnostics = new List<Diagnostic>();
        foreach (var drift in Compare(outRoot, environment, files))
        {
            var full = Path.Combine(outRoot, drift.Path);
            try
            {
                if (drift.Kind == DriftKind.Extra)
                {
                    File.Delete(full);
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                // Write beside, then rename: a failure never leaves a half-written file.
                var temp = full + ".tmp-manifestgen";
                File.WriteAllText(temp, drift.Expected, Utf8NoBom);
                File.Move(temp, full, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.OutputNotWritable, SourceSpan.WholeFile("out/" + drift.Path), ex.Message));
            }
        }
        RemoveEmptyDirectories(Path.Combine(outRoot, environment));
        return [.. diagnostics];
    }

    public static void RemoveEmptyDirectories(string dir)
    {
        if (!Directory.Exists(dir))
            return;
        foreach (var sub in Directory.EnumerateDirectories(dir))
            RemoveEmptyDirectories(sub);
        if (!Directory.EnumerateFileSystemEntries(dir).Any())
            Directory.Delete(dir);
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
