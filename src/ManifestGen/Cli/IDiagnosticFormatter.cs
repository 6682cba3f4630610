using ManifestGen.Diagnostics;

namespace ManifestGen.Cli;

/// <summary>
/// A report format for <c>--format NAME</c>. The CLI finds every non-abstract implementation in this
/// assembly by reflection (public parameterless constructor); <c>text</c> is built in. Reports go to
/// stdout; the text format writes to stderr.
/// </summary>
public interface IDiagnosticFormatter
{
    string Name { get; }
    void Write(IReadOnlyList<Diagnostic> diagnostics, TextWriter output);
}

public static class DiagnosticFormatters
{
    public const string Text = "text";

    private static readonly Lazy<IReadOnlyDictionary<string, IDiagnosticFormatter>> All = new(() =>
        typeof(IDiagnosticFormatter).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IDiagnosticFormatter).IsAssignableFrom(t)
                        && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IDiagnosticFormatter)Activator.CreateInstance(t)!)
            .ToDictionary(f => f.Name, StringComparer.Ordinal));

    public static IEnumerable<string> Names => All.Value.Keys.Append(Text).Distinct().Order(StringComparer.Ordinal);

    public static IDiagnosticFormatter? Find(string name) => All.Value.GetValueOrDefault(name);

    /// <summary>The text form: <c>path(line,col): error MG0NN: message</c>, one per line.</summary>
    public static void WriteText(IEnumerable<Diagnostic> diagnostics, TextWriter output)
    {
        foreach (var d in diagnostics)
            output.Write(d + "\n");
    }
}
