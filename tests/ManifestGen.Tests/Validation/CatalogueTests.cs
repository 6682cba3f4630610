using System.Text.RegularExpressions;
using ManifestGen.Diagnostics;
using ManifestGen.Tests.Support;

namespace ManifestGen.Tests.Validation;

public sealed class CatalogueTests
{
    [Fact]
    public void Should_give_every_rule_a_unique_well_formed_code()
    {
        var codes = DiagnosticCatalogue.All.Select(r => r.Code).ToList();
        Assert.True(codes.Count >= 50, $"only {codes.Count} rules");
        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, c => Assert.Matches(new Regex("^MG[0-9]{4}$"), c));
    }

    [Fact]
    public void Should_document_every_rule()
    {
        Assert.All(DiagnosticCatalogue.All, r =>
        {
            Assert.False(string.IsNullOrWhiteSpace(r.Title), r.Code);
            Assert.True(r.Description.Length >= 20, $"{r.Code} has no real documentation");
        });
    }

    [Fact]
    public void Should_keep_docs_rules_md_in_step_with_the_catalogue()
    {
        var markdown = RuleDocumentation.RenderMarkdown();
        foreach (var rule in DiagnosticCatalogue.All)
            Assert.Contains("## " + rule.Code + "\n", markdown);
        Golden.AssertRepoFile(RuleDocumentation.RulesFile, markdown);
    }

    [Fact]
    public void I_can_explain_a_code_in_any_case()
    {
        var rule = DiagnosticCatalogue.Find("mg0508");
        Assert.NotNull(rule);
        var text = RuleDocumentation.Explain(rule);
        Assert.StartsWith("MG0508 error: NFS path not under the export root\n", text);
        Assert.Contains("Fix: ", text);
        Assert.Null(DiagnosticCatalogue.Find("MG9999"));
    }

    [Fact]
    public void Should_use_the_rules_fix_as_hint_when_no_hint_is_given()
    {
        var d = DiagnosticCatalogue.Create(DiagnosticCatalogue.UserRoot, new SourceSpan("a.yaml", 3, 5), "hosts[0].user is root");
        Assert.Equal(Severity.Warning, d.Severity);
        Assert.Equal(DiagnosticCatalogue.UserRoot.Fix, d.Hint);
        var explicitHint = DiagnosticCatalogue.Create(DiagnosticCatalogue.UserRoot, new SourceSpan("a.yaml", 3, 5), "m", "did you mean `backup`?");
        Assert.Equal("did you mean `backup`?", explicitHint.Hint);
    }
}
