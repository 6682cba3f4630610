namespace ManifestGen.Testing;

/// <summary>
/// The checkout the tests (and the pod harness) were built from: the folder with ManifestGen.sln above the
/// running assembly. Every test project and the harness find the repository through this.
/// </summary>
public static class RepoPaths
{
    public static string Root { get; } = Find();

    public static string Values => Path.Combine(Root, "values");
    public static string Templates => Path.Combine(Root, "templates");
    public static string Out => Path.Combine(Root, "out");
    public static string Snapshots => Path.Combine(Root, "tests", "snapshots");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ManifestGen.sln")))
                return dir.FullName;
        throw new InvalidOperationException("ManifestGen.sln not found above " + AppContext.BaseDirectory);
    }
}
