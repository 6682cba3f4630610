using ManifestGen.Diagnostics;
using ManifestGen.Rendering;
using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Rendering;

public sealed class StrictnessTests
{
    private sealed record Model(string Name);

    [Fact]
    public void Should_report_an_unknown_member_at_the_template_line_and_column()
    {
        using var dir = new TempDir();
        dir.Write("t.sbn", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ model.nmae | q }}\n");
        var diagnostics = new List<Diagnostic>();
        Assert.Null(new TemplateRenderer(dir.Path).Render("t.sbn", new Model("x"), diagnostics));
        var d = Assert.Single(diagnostics);
        Assert.Equal("MG0901", d.Code);
        Assert.Equal("templates/t.sbn", d.Location.File);
        Assert.Equal(4, d.Location.Line);
        Assert.True(d.Location.Column > 1);
    }

    [Fact]
    public void Should_report_an_unknown_variable_and_a_syntax_error()
    {
        using var dir = new TempDir();
        dir.Write("var.sbn", "a: {{ nothing_here }}\n");
        dir.Write("syntax.sbn", "a: b\n{{ if model.name }\n");
        var diagnostics = new List<Diagnostic>();
        var renderer = new TemplateRenderer(dir.Path);
        Assert.Null(renderer.Render("var.sbn", new Model("x"), diagnostics));
        Assert.Null(renderer.Render("syntax.sbn", new Model("x"), diagnostics));
        Assert.Equal(["templates/syntax.sbn", "templates/var.sbn"], diagnostics.Select(d => d.Location.File).Distinct().Order());
        Assert.All(diagnostics, d => Assert.Equal("MG0901", d.Code));
        Assert.Contains(diagnostics, d => d.Location.File == "templates/syntax.sbn" && d.Location.Line == 2);
    }

    [Fact]
    public void Should_render_a_value_longer_than_one_mebibyte_without_truncating_it()
    {
        using var dir = new TempDir();
        dir.Write("t.sbn", "v: {{ model.name | q }}\n");
        var name = new string('a', 3 * 1024 * 1024);
        var text = new TemplateRenderer(dir.Path).Render("t.sbn", new Model(name), []);
        Assert.Equal("v: \"" + name + "\"\n", text);
    }

    [Fact]
    public void Should_quote_values_so_that_yaml_cannot_be_injected()
    {
        using var dir = new TempDir();
        dir.Write("t.sbn", "v: {{ model.name | q }}\n");
        var text = new TemplateRenderer(dir.Path).Render("t.sbn", new Model("x\nkind: Secret # \"quoted\""), []);
        Assert.Equal("v: \"x\\nkind: Secret # \\\"quoted\\\"\"\n", text);
    }

    [Fact]
    public void Should_quote_every_character_exactly_as_the_json_writer_does()
    {
        // q quotes most values without a JSON writer; the result must be what the writer would produce.
        var relaxed = new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        foreach (var value in Enumerable.Range(0, 0x250).Select(c => $"a{(char)c}b").Append("").Append("ünïcödé €").Append("\ud83d\ude00"))
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(value, relaxed), TemplateRenderer.Quote(value));
    }

    [Fact]
    public void Should_indent_every_non_empty_line_and_refuse_a_call_with_the_wrong_number_of_arguments()
    {
        using var dir = new TempDir();
        dir.Write("t.sbn", "v: |\n{{ model.name | indent 2 }}\n");
        dir.Write("bad.sbn", "v: {{ q model.name model.name }}\n");
        Assert.Equal("v: |\n  a\n\n  b\n", new TemplateRenderer(dir.Path).Render("t.sbn", new Model("a\n\nb"), []));
        var diagnostics = new List<Diagnostic>();
        Assert.Null(new TemplateRenderer(dir.Path).Render("bad.sbn", new Model("a"), diagnostics));
        var d = Assert.Single(diagnostics);
        Assert.Equal(("MG0901", "templates/bad.sbn", 1), (d.Code, d.Location.File, d.Location.Line));
    }

    [Fact]
    public void Should_name_the_path_of_an_unknown_field_inside_a_list()
    {
        var diagnostics = new List<Diagnostic>();
        var obj = ObjectReader.Read("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: x\n      - name: b\n        image: y\n        imagePullPolice: Always\n", "templates/job.sbn", diagnostics);
        Assert.Null(obj);
        Assert.Contains("field 'spec.template.spec.containers[1].imagePullPolice' is unknown to V1Job", Assert.Single(diagnostics).Message);
    }

    [Fact]
    public void Should_reject_a_rendered_object_with_an_unknown_field()
    {
        var diagnostics = new List<Diagnostic>();
        var obj = ObjectReader.Read("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: c\nspec:\n  storageClass: x\n", "templates/pvc.sbn", diagnostics);
        Assert.Null(obj);
        var d = Assert.Single(diagnostics);
        Assert.Equal("MG0902", d.Code);
        Assert.Contains("spec.storageClass", d.Message);
        Assert.Equal("templates/pvc.sbn", d.Location.File);
    }

    [Fact]
    public void Should_reject_duplicate_fields_wrong_types_and_unknown_custom_resource_fields()
    {
        var diagnostics = new List<Diagnostic>();
        Assert.Null(ObjectReader.Read("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n", "templates/cm.sbn", diagnostics));
        Assert.Null(ObjectReader.Read("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  backoffLimit: many\n", "templates/job.sbn", diagnostics));
        Assert.Null(ObjectReader.Read(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\nspec:\n  project: p\n  source: {repoURL: u, targetRevision: r, path: p, helm: {}}\n  destination: {namespace: n}\n",
            "templates/application.sbn", diagnostics));
        Assert.Equal(3, diagnostics.Count);
        Assert.All(diagnostics, d => Assert.Equal("MG0902", d.Code));
        Assert.Contains("source.helm", diagnostics[2].Message);
    }

    [Fact]
    public void Should_accept_a_valid_object_and_keep_its_typed_form()
    {
        var obj = ObjectReader.Read("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: n\ndata:\n  k: \"1\"\n", "templates/cm.sbn", []);
        Assert.NotNull(obj);
        Assert.Equal("1", Assert.IsType<k8s.Models.V1ConfigMap>(obj.Typed).Data["k"]);
        Assert.Equal("n", obj.Namespace);
    }
}
