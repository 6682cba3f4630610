using System.Text;
using ManifestGen.Output;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Support;

/// <summary>
/// Golden ("baseline") files: the trees under tests/snapshots/ and the files the code's output is
/// committed as elsewhere (docs/rules.md, the JSON Schema, the corpus's expected.txt). The one way the tests
/// compare output with a committed file. A mismatch fails with a unified diff; with UPDATE_SNAPSHOTS=1 the
/// test rewrites exactly the files that differ (and deletes extra ones in a tree) and passes, so
/// `UPDATE_SNAPSHOTS=1 make test` followed by `git diff` shows what changed.
/// </summary>
public static class Golden
{
    public static bool Updating => Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1";

    private static readonly UTF8Encoding Utf8NoBom = new(false);

    /// <summary>Compares one text with tests/snapshots/<paramref name="relativePath"/>.</summary>
    public static void AssertFile(string relativePath, string actual) =>
        AssertRepoFile("tests/snapshots/" + relativePath, actual);

    /// <summary>Compares one text with the repository's file <paramref name="repoRelativePath"/> (e.g. docs/rules.md).</summary>
    public static void AssertRepoFile(string repoRelativePath, string actual)
    {
        var problems = new StringBuilder();
        CompareFile(Path.Combine(RepoPaths.Root, repoRelativePath), repoRelativePath.Replace('\\', '/'), actual, problems);
        Fail(problems);
    }

    /// <summary>
    /// Compares a whole tree (path relative to the snapshot folder → content) with
    /// tests/snapshots/<paramref name="relativeDirectory"/>: changed, missing and extra files all fail.
    /// </summary>
    public static void AssertTree(string relativeDirectory, IReadOnlyDictionary<string, string> files)
    {
        var root = Path.Combine(RepoPaths.Snapshots, relativeDirectory);
        var problems = new StringBuilder();
        foreach (var (path, content) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
            CompareFile(Path.Combine(root, path), $"tests/snapshots/{relativeDirectory}/{path}", content, problems);
        if (Directory.Exists(root))
        {
            foreach (var existing in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(root, existing).Replace('\\', '/');
                if (files.ContainsKey(relative))
                    continue;
                if (Updating)
                    File.Delete(existing);
                else
                    problems.Append($"extra snapshot file tests/snapshots/{relativeDirectory}/{relative} (no longer produced)\n");
            }
            if (Updating)
                OutputTree.RemoveEmptyDirectories(root);
        }
        Fail(problems);
    }

    private static void CompareFile(string fullPath, string display, string actual, StringBuilder problems)
    {
        var expected = File.Exists(fullPath) ? File.ReadAllText(fullPath) : null;
        if (expected == actual)
            return;
        if (Updating)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
            File.WriteAllText(fullPath, actual, Utf8NoBom);
            return;
        }
        problems.Append(expected is null ? $"missing snapshot {display}\n" : $"snapshot {display} differs:\n");
        problems.Append(UnifiedDiff.Create("expected/" + display, "actual/" + display, expected, actual));
    }

    private static void Fail(StringBuilder problems)
    {
        if (problems.Length > 0)
            Assert.Fail(problems + "\nRun `UPDATE_SNAPSHOTS=1 make test` (or set UPDATE_SNAPSHOTS=1 for dotnet test) to accept the new output.");
    }
}
