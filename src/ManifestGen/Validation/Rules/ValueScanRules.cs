using System.Globalization;
using System.Text.RegularExpressions;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Loading;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Validation.Rules;

/// <summary>MG0201: no placeholder in any value (hook commands and host keys included), built-in markers plus the inventory's own list.</summary>
public sealed class PlaceholderRule : InventoryRule
{
    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var extra = inventory.Model.Placeholders.Where(p => !string.IsNullOrWhiteSpace(p)).ToArray();
        foreach (var entry in sink.Map.Entries)
        {
            if (entry.Scalar is not { } scalar || entry.Path.StartsWith("placeholders[", StringComparison.Ordinal))
                continue;
            // Hook and dump commands run in the host's shell: ${VAR:-x}, $VAR and $(cmd) are its syntax there.
            var context = entry.Path.Contains(".hooks.", StringComparison.Ordinal) ? PlaceholderContext.Shell : PlaceholderContext.Value;
            foreach (var match in Placeholders.Find(scalar.Value, extra, context))
                sink.ReportInValue(DiagnosticCatalogue.Placeholder, entry.Path, match.Text, $"unreplaced placeholder `{match.Text}`",
                    match.Text.StartsWith('$') || match.Text.StartsWith('%') ? "replace it with the value; variables are expanded only in hook commands" : null);
        }
    }
}

/// <summary>MG0202, MG0203: no private key material and no literal credential anywhere in the inventory.</summary>
public sealed class SecretMaterialRule : InventoryRule
{
    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        foreach (var entry in sink.Map.Entries)
        {
            if (entry.Scalar is not { } scalar)
                continue;
            if (entry.Path.StartsWith("secrets.sealed.encryptedData.", StringComparison.Ordinal))
            {
                if (!LooksSealed(scalar.Value))
                    sink.Report(DiagnosticCatalogue.LiteralPassword, entry.Path,
                        "this is not kubeseal output (base64 text of at least 40 characters); a plain value here would be committed in clear text",
                        "encrypt it: `kubeseal --raw --namespace NS --name SECRET --from-file=VALUE_FILE`");
                continue;
            }
            foreach (var found in SecretScanner.Find(scalar.Value))
            {
                var rule = found.Kind == SecretKind.PrivateKey ? DiagnosticCatalogue.PrivateKeyMaterial : DiagnosticCatalogue.LiteralPassword;
                sink.Report(rule, entry.Path, $"contains {found.What}; the inventory is tracked in Git");
            }
        }
    }

    // kubeseal --raw prints base64 of an RSA-OAEP wrapped session key plus the ciphertext: hundreds of
    // characters. Anything shorter than 40 or outside the base64 alphabet is a value someone typed in.
    private static bool LooksSealed(string value) =>
        value.Length >= 40 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=');
}

/// <summary>
/// MG0180, MG0181: plain scalars in string fields that a YAML 1.1 reader types differently
/// (<c>no</c> as false, <c>1.10</c> as 1.1, <c>0755</c> as 493, <c>12:30</c> as 750).
/// </summary>
public sealed partial class Yaml11TrapRule : InventoryRule
{
    private static readonly HashSet<string> Booleans = new(StringComparer.Ordinal)
    {
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF",
    };

    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9_]*)$|^[-+]?0[0-7_]+$|^[-+]?0x[0-9a-fA-F_]+$|^[-+]?0b[01_]+$|^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?$|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$|^[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Yaml11Number();

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        foreach (var entry in sink.Map.Entries)
        {
            if (entry.Scalar is not { IsPlain: true } scalar || ModelPaths.TargetType(typeof(InventorySpec), entry.Path) != typeof(string))
                continue;
            if (Booleans.Contains(scalar.Raw))
                sink.Report(DiagnosticCatalogue.Yaml11Boolean, entry.Path,
                    $"unquoted `{scalar.Raw}` is a boolean in YAML 1.1; this field is text", $"quote it: \"{scalar.Raw}\"");
            else if (Yaml11Number().IsMatch(scalar.Raw) && !ReadsBackTheSame(scalar.Raw))
                sink.Report(DiagnosticCatalogue.Yaml11Number, entry.Path,
                    $"unquoted `{scalar.Raw}` is a number in YAML and may be rewritten (for example `1.10` becomes `1.1`); this field is text",
                    $"quote it: \"{scalar.Raw}\"");
        }
    }

    // `22` or `1.4` come back as the same text from any reader; `0755`, `1.10`, `1e3`, `+5`, `12:30` do not.
    private static bool ReadsBackTheSame(string raw)
    {
        if (raw == "0" || (raw[0] != '0' && raw.All(char.IsAsciiDigit)))
            return true;
        var octalOrSigned = raw[0] is '+' or '-' or '.' || (raw[0] == '0' && !raw.StartsWith("0.", StringComparison.Ordinal));
        return !octalOrSigned && !raw.Contains(':') && !raw.Contains('_')
            && double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            && number.ToString("R", CultureInfo.InvariantCulture) == raw;
    }
}
