using ManifestGen.Diagnostics;
using ManifestGen.Rendering;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Support;

/// <summary>A rendered manifests folder (repository-relative) read back strictly, one object per file, in file-name order.</summary>
public static class RenderedTree
{
    public static List<RenderedObject> Read(string tree)
    {
        var objects = new List<RenderedObject>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, tree), "*.yaml").Order(StringComparer.Ordinal))
        {
            var diagnostics = new List<Diagnostic>();
            var obj = ObjectReader.Read(File.ReadAllText(file), file, diagnostics, out _);
            Assert.True(obj is not null, string.Join("\n", diagnostics));
            objects.Add(obj!);
        }
        return objects;
    }
}
