using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Rendering;

/// <summary>
/// Focused cases: each folder tests/snapshots/cases/NAME holds values/NAME.yaml (the input) and out/ (the
/// golden rendered tree). Add a case by adding a folder with its values file and running
/// UPDATE_SNAPSHOTS=1 once.
/// </summary>
public sealed class CaseSnapshotTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.EnumerateDirectories(Path.Combine(RepoPaths.Snapshots, "cases")).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_render_each_focused_case_exactly_as_its_golden_tree(string name)
    {
        using var ws = new Workspace();
        Workspace.CopyDirectory(Path.Combine(RepoPaths.Snapshots, "cases", name, "values"), Path.Combine(ws.Root, "values"));
        var files = ExampleSnapshotTests.RenderInMemory(ws.Generator, name);
        Golden.AssertTree($"cases/{name}/out", files);
    }
}
