using System.Collections.Immutable;
using System.Text;

namespace ManifestGen.Diagnostics.Formatting;

/// <summary>
/// The report for people: `path(line,col): error MG0NN: message`, the source line with a caret, the hint,
/// and a summary. Colour (ANSI) only when the caller says the output is a terminal.
/// </summary>
internal static class TextReport
{
    private const string Reset = "\u001b[0m", Bold = "\u001b[1m", Red = "\u001b[31m", Yellow = "\u001b[33m", Cyan = "\u001b[36m", Dim = "\u001b[2m";

    public static void Write(ImmutableArray<Diagnostic> diagnostics, SourceSet sources, TextWriter output, FormatOptions options)
    {
        var text = new StringBuilder();
        foreach (var d in diagnostics)
        {
            var path = DiagnosticFormatter.DisplayPath(d.Location.File, options);
            var location = d.Location.Line > 0 ? $"{path}({d.Location.Line},{d.Location.Column})" : path;
            var severity = RuleDocumentation.SeverityName(d.Severity);
            text.Append(Paint(options, Bold, location)).Append(": ")
                .Append(Paint(options, ColourOf(d.Severity), severity)).Append(' ')
                .Append(Paint(options, Bold, d.Code)).Append(": ").Append(d.Message).Append('\n');
            if (sources.Line(d.Location.File, d.Location.Line) is { } line)
            {
                var gutter = d.Location.Line.ToString(System.Globalization.CultureInfo.InvariantCulture);
                text.Append(' ').Append(gutter).Append(" | ").Append(line.TrimEnd()).Append('\n');
                text.Append(' ').Append(' ', gutter.Length).Append(" | ").Append(CaretPadding(line, d.Location.Column))
                    .Append(Paint(options, ColourOf(d.Severity), "^")).Append('\n');
            }
            if (d.Hint is { Length: > 0 } hint)
                text.Append(Paint(options, Dim, "  hint: ")).Append(hint).Append('\n');
        }
        text.Append(Summary(diagnostics)).Append('\n');
        output.Write(text.ToString());
    }

    public static string Summary(ImmutableArray<Diagnostic> diagnostics)
    {
        int errors = diagnostics.Count(d => d.Severity == Severity.Error);
        int warnings = diagnostics.Count(d => d.Severity == Severity.Warning);
        int infos = diagnostics.Length - errors - warnings;
        return $"{Count(errors, "error")}, {Count(warnings, "warning")}, {Count(infos, "info")}";
    }

    private static string Count(int n, string noun) =>
        n.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + noun + (n == 1 || noun == "info" ? "" : "s");

    // Tabs before the column are kept so the caret lines up under the same character in any tab width.
    private static string CaretPadding(string line, int column)
    {
        var pad = new StringBuilder();
        for (int i = 0; i < Math.Max(0, column - 1) && i < line.Length; i++)
            pad.Append(line[i] == '\t' ? '\t' : ' ');
        return pad.ToString();
    }

    private static string ColourOf(Severity severity) => severity switch
    {
        Severity.Error => Red,
        Severity.Warning => Yellow,
        _ => Cyan,
    };

    private static string Paint(FormatOptions options, string colour, string text) =>
        options.Color ? colour + text + Reset : text;
}
