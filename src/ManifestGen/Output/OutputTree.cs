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
        var existing = ExistingFiles(outRoot, environment).ToHashSet(StringComparer.Ordinal);
        var wanted = expected.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var drift = new FileDrift?[expected.Count];
        // Files are independent: read and compare them in parallel. A path not listed in the folder is
        // missing without asking the file system again.
        Parallel.For(0, expected.Count, PerCore.Options, i =>
        {
            var file = expected[i];
            var actual = existing.Contains(file.Path) ? ReadOrNull(Path.Combine(outRoot, file.Path)) : null;
            if (actual is null)
                drift[i] = new FileDrift(file.Path, DriftKind.Missing, file.Content, null);
            else if (actual != file.Content)
                drift[i] = new FileDrift(file.Path, DriftKind.Changed, file.Content, actual);
        });
        var extra = existing.Where(e => !wanted.Contains(e))
            .Select(e => new FileDrift(e, DriftKind.Extra, null, ReadOrNull(Path.Combine(outRoot, e))));
        return [.. drift.OfType<FileDrift>().Concat(extra).OrderBy(d => d.Path, StringComparer.Ordinal)];
    }

    /// <summary>Writes an environment's files (only those that differ); returns diagnostics for anything that could not be written.</summary>
    public static ImmutableArray<Diagnostic> Write(string outRoot, string environment, IReadOnlyList<OutputFile> files)
    {
        var drift = Compare(outRoot, environment, files);
        foreach (var dir in drift.Where(d => d.Kind != DriftKind.Extra).Select(d => Path.GetDirectoryName(Path.Combine(outRoot, d.Path))!).Distinct(StringComparer.Ordinal))
        {
            try
            {
                Directory.CreateDirectory(dir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // reported below, per file, by the write that fails
            }
        }
        var failures = new Diagnostic?[drift.Length];
        // One file after another: creating, renaming and deleting entries of one directory takes that
        // directory's lock, so parallel writers only wait for each other (measured: 3,221 new files took
        // 0.8-3 s of system time with two writers, about 0.15 s with one).
        for (var i = 0; i < drift.Length; i++)
        {
            var full = Path.Combine(outRoot, drift[i].Path);
            try
            {
                if (drift[i].Kind == DriftKind.Extra)
                {
                    File.Delete(full);
                    continue;
                }
                // Write beside, then rename: a failure never leaves a half-written file.
                var temp = full + ".tmp-manifestgen";
                File.WriteAllText(temp, drift[i].Expected, Utf8NoBom);
                File.Move(temp, full, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures[i] = DiagnosticCatalogue.Create(DiagnosticCatalogue.OutputNotWritable, SourceSpan.WholeFile("out/" + drift[i].Path), ex.Message);
            }
        }
        RemoveEmptyDirectories(Path.Combine(outRoot, environment));
        return [.. failures.OfType<Diagnostic>()];
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
