using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Loading;
using ManifestGen.Tests.Support;
using ManifestGen.Testing;

namespace ManifestGen.Tests.Loading;

public sealed class InventoryLoaderTests
{
    internal const string Minimal = """
        namespace: backup
        gitOps:
          repoURL: https://git.example.org/ops.git
        image:
          repository: registry.example.org/runner
          tag: "1.0.0"
        repository:
          passwordSecret: { name: restic-repository }
          storage:
            local: { path: /srv/restic, node: node-1 }
          capacity: 10Gi
          storageClassName: manual
        hosts:
          - name: host-a
            address: 10.0.0.1
            user: backup
            hostKeys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB9AEAQtz1f6x1CzvEll5TTy8MIR+oKXh56BH/npzerp]
            sshKeySecret: { name: ssh-host-a }
            apps:
              - name: app-one
                paths: [/srv/app-one]
              - name: app-two
                paths: [/srv/app-two]
                schedule: "H 2 * * *"
        """;

    private static LoadResult Load(TempDir dir, string file) => new InventoryLoader(dir.Path).Load(Path.Combine(dir.Path, file));

    [Fact]
    public void I_can_load_a_minimal_inventory_with_defaults_applied()
    {
        using var dir = new TempDir();
        dir.Write("values/test.yaml", Minimal);
        var result = Load(dir, "values/test.yaml");
        Assert.Empty(result.Diagnostics);
        var model = result.Inventory!.Model;
        Assert.Equal("backup", model.Namespace);
        Assert.Equal(2, model.Hosts[0].Apps.Length);
        Assert.Null(model.Hosts[0].Apps[0].Schedule);
        Assert.Equal("H H * * *", model.Defaults.Schedule);
        Assert.Equal(TransferStrategy.Rsync, model.Defaults.Strategy);
        Assert.Equal("password", model.Repository.PasswordSecret.Key);
        Assert.Equal(["values/test.yaml"], result.Inventory.Files.ToArray());
    }

    [Fact]
    public void Should_keep_line_and_column_of_every_value()
    {
        using var dir = new TempDir();
        dir.Write("values/test.yaml", Minimal);
        var map = Load(dir, "values/test.yaml").Inventory!.SourceMap;
        Assert.Equal(new SourceSpan("values/test.yaml", 24, 19), map.SpanOf("hosts[0].apps[1].schedule"));
        var scalar = map.ScalarAt("hosts[0].apps[1].schedule")!;
        Assert.Equal("\"H 2 * * *\"", scalar.Raw);
        Assert.Equal(ScalarStyleKind.DoubleQuoted, scalar.Style);
        Assert.Equal(new SourceSpan("values/test.yaml", 24, 9), map.KeySpanOf("hosts[0].apps[1].schedule"));
        // a field that is not set: the span of the object that would hold it
        Assert.Equal(new SourceSpan("values/test.yaml", 20, 9), map.SpanOf("hosts[0].apps[0].schedule"));
        Assert.False(map.IsSet("hosts[0].apps[0].schedule"));
    }

    [Fact]
    public void Should_report_the_raw_text_and_style_of_plain_scalars_so_yaml_11_traps_can_be_found()
    {
        using var dir = new TempDir();
        dir.Write("values/test.yaml", Minimal.Replace("user: backup", "user: no"));
        var result = Load(dir, "values/test.yaml");
        Assert.Empty(result.Diagnostics);
        var user = result.Inventory!.SourceMap.ScalarAt("hosts[0].user")!;
        Assert.True(user.IsPlain);
        Assert.Equal("no", user.Raw);
        Assert.Equal("no", result.Inventory.Model.Hosts[0].User);
    }

    [Fact]
    public void I_can_layer_an_environment_on_a_base_where_maps_merge_and_lists_replace()
    {
        using var dir = new TempDir();
        dir.Write("values/_base.yaml", Minimal + "\ndefaults:\n  timeZone: Europe/Berlin\n  mirrorSize: 5Gi\n");
        dir.Write("values/prod.yaml", """
            extends: _base.yaml
            namespace: backup-prod
            repository:
              capacity: 2Ti
            defaults:
              mirrorSize: 9Gi
            hosts:
              - name: host-b
                address: 10.0.0.2
                user: backup
                sshKeySecret: { name: ssh-host-b }
                apps:
                  - name: only
                    paths: [/srv/only]
            """);
        var result = Load(dir, "values/prod.yaml");
        Assert.Empty(result.Diagnostics);
        var model = result.Inventory!.Model;
        Assert.Equal("backup-prod", model.Namespace);
        Assert.Equal("2Ti", model.Repository.Capacity);
        Assert.Equal("manual", model.Repository.StorageClassName); // merged from the base
        Assert.Equal("Europe/Berlin", model.Defaults.TimeZone);
        Assert.Equal("9Gi", model.Defaults.MirrorSize);
        Assert.Equal("host-b", Assert.Single(model.Hosts).Name); // lists replace
        var map = result.Inventory.SourceMap;
        Assert.Equal("values/_base.yaml", map.SpanOf("repository.storageClassName").File);
        Assert.Equal(new SourceSpan("values/prod.yaml", 4, 13), map.SpanOf("repository.capacity"));
        Assert.Equal(["values/prod.yaml", "values/_base.yaml"], result.Inventory.Files.ToArray());
    }

    [Fact]
    public void Should_resolve_anchors_aliases_and_merge_keys_with_explicit_keys_winning()
    {
        using var dir = new TempDir();
        dir.Write("values/test.yaml", Minimal + """

            defaults:
              retention: &keep
                daily: 7
                weekly: 4
              resources:
                limits: { memory: 1Gi }
            maintenance:
              forget:
                resources:
                  <<: { limits: { memory: 2Gi }, requests: { cpu: 50m } }
                  limits: { memory: 3Gi }
            """);
        var result = Load(dir, "values/test.yaml");
        Assert.Empty(result.Diagnostics);
        var forget = result.Inventory!.Model.Maintenance.Forget.Resources!;
        Assert.Equal("3Gi", forget.Limits!.Memory);
        Assert.Equal("50m", forget.Requests!.Cpu);
    }

    [Fact]
    public void Should_suggest_the_closest_key_for_an_unknown_key()
    {
        using var dir = new TempDir();
        dir.Write("values/test.yaml", Minimal.Replace("schedule: \"H 2 * * *\"", "schedul: \"H 2 * * *\""));
        var d = Assert.Single(Load(dir, "values/test.yaml").Diagnostics);
        Assert.Equal(DiagnosticCatalogue.UnknownKey.Code, d.Code);
        Assert.Equal(new SourceSpan("values/test.yaml", 24, 9), d.Location);
        Assert.Contains("hosts[0].apps[1]", d.Message);
        Assert.Equal("did you mean 'schedule'?", d.Hint);
    }

    [Theory]
    [InlineData("user: backup\n    port: 22x", "MG0102", "hosts[0].port", 17, 11)]
    [InlineData("user: backup\n    port: \"22\"", "MG0102", "hosts[0].port", 17, 11)]
    [InlineData("user: backup\n    port: [22]", "MG0102", "hosts[0].port", 17, 11)]
    [InlineData("user: null", "MG0103", "hosts[0].user", 16, 5)]
    [InlineData("user: [a, b]", "MG0102", "hosts[0].user", 16, 11)]
    public void Should_report_wrong_types_and_missing_fields_with_the_field_path(string replacement, string code, string field, int line, int column)
    {
        using var dir = new TempDir();
        dir.Write("values/test.yaml", Minimal.Replace("user: backup", replacement));
        var result = Load(dir, "values/test.yaml");
        Assert.Null(result.Inventory);
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal(code, d.Code);
        Assert.Contains(field, d.Message);
        Assert.Equal(new SourceSpan("values/test.yaml", line, column), d.Location);
    }

    [Fact]
    public void Should_report_duplicate_keys_syntax_errors_and_bad_choices_without_throwing()
    {
        using var dir = new TempDir();
        dir.Write("values/dup.yaml", Minimal.Replace("user: backup", "user: backup\n    user: other"));
        var dup = Assert.Single(Load(dir, "values/dup.yaml").Diagnostics);
        Assert.Equal("MG0003", dup.Code);
        Assert.Equal(new SourceSpan("values/dup.yaml", 17, 5), dup.Location);

        dir.Write("values/syntax.yaml", "namespace: [unclosed\nhosts: x\n");
        var syntax = Assert.Single(Load(dir, "values/syntax.yaml").Diagnostics);
        Assert.Equal("MG0002", syntax.Code);
        Assert.Equal("values/syntax.yaml", syntax.Location.File);
        Assert.True(syntax.Location.Line >= 1);

        dir.Write("values/choice.yaml", Minimal.Replace("paths: [/srv/app-one]", "paths: [/srv/app-one]\n        strategy: rsnyc"));
        var choice = Assert.Single(Load(dir, "values/choice.yaml").Diagnostics);
        Assert.Equal("MG0104", choice.Code);
        Assert.Equal("did you mean 'rsync'?", choice.Hint);
    }

    [Fact]
    public void Should_require_exactly_one_storage_kind()
    {
        using var dir = new TempDir();
        dir.Write("values/test.yaml", Minimal.Replace("local: { path: /srv/restic, node: node-1 }",
            "local: { path: /srv/restic, node: node-1 }\n    nfs: { server: nas, exportRoot: /e, path: /e/r }"));
        var d = Assert.Single(Load(dir, "values/test.yaml").Diagnostics);
        Assert.Equal("MG0105", d.Code);
    }

    [Fact]
    public void Should_report_a_cycle_of_base_files()
    {
        using var dir = new TempDir();
        dir.Write("values/a.yaml", "extends: _b.yaml\n");
        dir.Write("values/_b.yaml", "extends: a.yaml\n");
        var d = Assert.Single(Load(dir, "values/a.yaml").Diagnostics);
        Assert.Equal("MG0004", d.Code);
        Assert.Contains("cycle", d.Message);
    }

    [Fact]
    public void I_can_load_both_example_environments_without_findings()
    {
        var loader = new InventoryLoader(RepoPaths.Root);
        var files = InventoryLoader.EnvironmentFiles(RepoPaths.Values);
        Assert.Equal(["production", "test-cluster"], files.Select(InventoryLoader.EnvironmentName));
        foreach (var file in files)
        {
            var result = loader.Load(file);
            Assert.Empty(result.Diagnostics);
            Assert.NotNull(result.Inventory);
        }
    }
}

public sealed class InventoryLoaderRobustnessTests
{
    [Fact]
    public void Should_never_throw_on_garbage_truncation_or_odd_yaml()
    {
        using var dir = new TempDir();
        var random = new Random(20261127);
        var inputs = new List<string>
        {
            "", "---\n", "- a\n- b\n", "a: b\n---\nc: d\n", "\t namespace: x", "namespace: &a [*a]\n", "x: *nope\n",
            "<<: 5\n", "hosts: [{<<: [1, 2]}]\n", new string('[', 500), "\"unterminated", "key: 'a\n  b'\n: x\n",
            "namespace: {a: 1}\nhosts: null\n", "? [complex]\n: key\n",
        };
        var example = File.ReadAllText(Path.Combine(RepoPaths.Values, "production.yaml"));
        for (var i = 0; i < 150; i++)
            inputs.Add(example[..random.Next(example.Length)]);
        for (var i = 0; i < 50; i++)
        {
            var bytes = new byte[random.Next(1, 300)];
            random.NextBytes(bytes);
            inputs.Add(System.Text.Encoding.Latin1.GetString(bytes));
        }
        var loader = new InventoryLoader(dir.Path);
        foreach (var (input, i) in inputs.Select((x, i) => (x, i)))
        {
            var file = dir.Write($"values/case{i}.yaml", input);
            var result = loader.Load(file);
            if (result.Inventory is null)
                Assert.True(result.Diagnostics.Any(d => d.Severity == Severity.Error), $"case {i}: no model and no error");
            Assert.All(result.Diagnostics, d => Assert.StartsWith("values/", d.Location.File));
        }
    }
}
