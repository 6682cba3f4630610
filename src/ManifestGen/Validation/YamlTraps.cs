using System.Text.RegularExpressions;
using ManifestGen.Diagnostics;

namespace ManifestGen.Validation;

/// <summary>
/// Turns the parser's message for a YAML 1.1 trap into one that says what happened. An unquoted
/// schedule such as <c>*/15 * * * *</c> makes YAML read an alias and fail with a message about anchors;
/// <c>@daily</c> hits a reserved indicator. The loader passes its syntax diagnostics through here.
/// </summary>
public static partial class YamlTraps
{
    [GeneratedRegex(@"^(?<lead>\s*(?:-\s+)?(?:[\w.-]+:\s+)?)(?<value>[*@][^#]*?)\s*(?:#.*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ValueStartingWithIndicator();

    [GeneratedRegex(@"^(?:@\w+|[\d*/?,\-HLW#A-Za-z()]+(?:\s+[\d*/?,\-HLW#A-Za-z()]+){4,6})$", RegexOptions.CultureInvariant)]
    private static partial Regex LooksLikeCron();

    public static Diagnostic Refine(Diagnostic syntaxError, string text)
    {
        if (syntaxError.Code != DiagnosticCatalogue.YamlSyntax.Code || syntaxError.Location.Line <= 0)
            return syntaxError;
        var lines = text.Split('\n');
        if (syntaxError.Location.Line > lines.Length)
            return syntaxError;
        var match = ValueStartingWithIndicator().Match(lines[syntaxError.Location.Line - 1].TrimEnd('\r'));
        if (!match.Success || !LooksLikeCron().IsMatch(match.Groups["value"].Value))
            return syntaxError;
        var value = match.Groups["value"].Value;
        var why = value[0] == '*' ? "YAML reads a leading `*` as an alias" : "`@` is a reserved YAML indicator";
        return DiagnosticCatalogue.Create(DiagnosticCatalogue.UnquotedCron,
            syntaxError.Location with { Column = match.Groups["value"].Index + 1 },
            $"the schedule `{value}` is not quoted: {why}, so the file does not parse", $"quote it: \"{value}\"");
    }
}
