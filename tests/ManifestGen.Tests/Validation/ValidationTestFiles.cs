namespace ManifestGen.Tests.Validation;

/// <summary>Finds the repository root and compares or rewrites expectation files (UPDATE_SNAPSHOTS=1).</summary>
internal static class ValidationTestFiles
{
    public static string RepoRoot => Support.RepoPaths.Root;

    public static bool Updating => Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1";

    /// <summary>
    /// Asserts that the file holds exactly <paramref name="actual"/>; with UPDATE_SNAPSHOTS=1 rewrites it,
    /// but only when it differs, so untouched expectations keep their timestamps.
    /// </summary>
    public static void MatchesFile(string relativePath, string actual)
    {
        var path = Path.Combine(RepoRoot, relativePath);
        var expected = File.Exists(path) ? File.ReadAllText(path) : null;
        if (expected == actual)
            return;
        if (Updating)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual, new System.Text.UTF8Encoding(false));
            return;
        }
        Assert.Fail(expected is null
            ? $"{relativePath} does not exist; run with UPDATE_SNAPSHOTS=1 to create it."
            : $"{relativePath} differs from what the code produces; run with UPDATE_SNAPSHOTS=1 to rewrite it.\n--- expected\n{expected}\n--- actual\n{actual}");
    }
}
