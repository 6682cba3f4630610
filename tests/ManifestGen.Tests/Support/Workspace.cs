using ManifestGen.Pipeline;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Support;

/// <summary>
/// A throwaway repository root: values/ written by the test, templates/ copied from the repository (or
/// edited by the test), out/ empty. Deleted on dispose.
/// </summary>
public sealed class Workspace : IDisposable
{
    private readonly TempDir _dir = new();

    public Workspace(bool copyExampleValues = false, bool copyTemplates = true)
    {
        if (copyTemplates)
            CopyDirectory(RepoPaths.Templates, Path.Combine(Root, "templates"));
        Directory.CreateDirectory(Path.Combine(Root, "values"));
        if (copyExampleValues)
            CopyDirectory(RepoPaths.Values, Path.Combine(Root, "values"));
    }

    public string Root => _dir.Path;
    public GeneratorPaths Paths => new(Root);
    public Generator Generator => new(Paths);

    public string Write(string relativePath, string content) => _dir.Write(relativePath, content);

    public string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    public void Edit(string relativePath, string from, string to)
    {
        var text = Read(relativePath);
        Assert.Contains(from, text);
        Write(relativePath, text.Replace(from, to));
    }

    /// <summary>Every file under out/, path relative to out/ → content.</summary>
    public SortedDictionary<string, string> OutFiles()
    {
        var outDir = Path.Combine(Root, "out");
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (Directory.Exists(outDir))
            foreach (var f in Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories))
                result[Path.GetRelativePath(outDir, f).Replace('\\', '/')] = File.ReadAllText(f);
        return result;
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    public void Dispose() => _dir.Dispose();
}
