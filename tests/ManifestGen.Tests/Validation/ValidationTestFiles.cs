using ManifestGen.Testing;
using ManifestGen.Tests.Support;

namespace ManifestGen.Tests.Validation;

/// <summary>
/// The names the validation tests used before <see cref="RepoPaths"/> and <see cref="Golden"/> served every
/// test; kept for tests written against them. Nothing is implemented here.
/// </summary>
internal static class ValidationTestFiles
{
    public static string RepoRoot => RepoPaths.Root;

    public static bool Updating => Golden.Updating;

    /// <inheritdoc cref="Golden.AssertRepoFile"/>
    public static void MatchesFile(string relativePath, string actual) => Golden.AssertRepoFile(relativePath, actual);
}
