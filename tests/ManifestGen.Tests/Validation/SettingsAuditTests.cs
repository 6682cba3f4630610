using ManifestGen.Diagnostics;
using ManifestGen.Validation.Schema;

namespace ManifestGen.Tests.Validation;

/// <summary>docs/settings.md and the schema in step: every key audited, every audit used, every code real.</summary>
public sealed class SettingsAuditTests
{
    [Fact]
    public void Should_give_every_key_of_the_schema_a_row()
    {
        var keys = SettingsAudit.SchemaKeys();
        Assert.True(keys.Length >= 200, $"only {keys.Length} keys read from the schema");
        Assert.Contains("hosts[].apps[].hooks.dumps[].fileName", keys);
        Assert.Contains("hostGate.restoreWindowDirectory", keys);
        var missing = keys.Where(k => SettingsAudit.Of(k) is null).ToList();
        Assert.True(missing.Count == 0, "keys without a row in SettingsAudit.Rows: " + string.Join(", ", missing));
    }

    [Theory]
    [InlineData("hosts[].apps[].bandwidthLimit")]
    [InlineData("hostGate.connectTimeoutSeconds")]
    [InlineData("reporting.timeoutSeconds")]
    [InlineData("defaults.bandwidthLimit")]
    public void Should_have_no_row_for_a_key_nobody_audited(string key) =>
        Assert.Null(SettingsAudit.Of(key));

    [Fact]
    public void Should_use_every_row_for_some_key()
    {
        var keys = SettingsAudit.SchemaKeys();
        var unused = SettingsAudit.Rows.Where(r => !keys.Any(k => SettingsAudit.Of(k) == r)).Select(r => r.Pattern).ToList();
        Assert.True(unused.Count == 0, "rows no schema key reaches: " + string.Join(", ", unused));
    }

    [Fact]
    public void Should_name_only_codes_of_the_catalogue_or_say_why_no_rule_can()
    {
        Assert.All(SettingsAudit.Rows.SelectMany(r => r.Failures), f =>
        {
            Assert.True(f.Rules.IsEmpty != (f.NoRule is null), $"`{f.When}`: give rule codes or the reason none can, not both");
            Assert.All(f.Rules, code => Assert.NotNull(DiagnosticCatalogue.Find(code)));
        });
    }

    [Fact]
    public void Should_keep_docs_settings_md_in_step_with_the_schema_and_the_audit()
    {
        var markdown = SettingsAudit.RenderMarkdown();
        foreach (var key in SettingsAudit.SchemaKeys())
            Assert.Contains("| `" + key + "` |", markdown, StringComparison.Ordinal);
        ValidationTestFiles.MatchesFile(SettingsAudit.File, markdown);
    }
}
