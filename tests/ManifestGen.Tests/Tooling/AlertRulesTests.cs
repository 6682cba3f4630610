using System.Globalization;
using System.Text;
using ManifestGen.Cli;
using ManifestGen.Planning;
using ManifestGen.Runner.Reporting;
using ManifestGen.Testing;
using ManifestGen.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace ManifestGen.Tests.Tooling;

/// <summary>
/// The rendered PrometheusRule checked and unit-tested by Debian's promtool, with input series whose
/// names and labels are what the runner's metrics renderer writes (not names typed into the test).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AlertRulesTests
{
    private const string Host = "kvm-prod-01";
    private const string App = "nextcloud";

    [Fact]
    public async Task The_rendered_alert_rules_pass_promtool_and_fire_only_when_the_backup_is_overdue_or_failed()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Assert.Equal(0, new CliApp(new StringWriter(), new StringWriter()).Run(["render", "production", "--root", ws.Root], ws.Root));
        using var scratch = new TempDirectory();
        var rules = scratch.Write("rules.yaml", RuleGroups(ws.Read("out/production/manifests/prometheusrule-manifestgen-production.yaml")));

        var check = await Proc.RunAsync("promtool", ["check", "rules", rules]);
        Assert.True(check.Succeeded, check.Stdout + check.Stderr);
        Assert.Contains("SUCCESS", check.Stdout + check.Stderr);

        // The threshold the rule uses for this app, from its real schedule.
        var text = ws.Read("out/production/manifests/prometheusrule-manifestgen-production.yaml");
        var overdue = long.Parse(System.Text.RegularExpressions.Regex.Match(text,
            $@"manifestgen_last_success_timestamp_seconds\{{command=""backup"",host=""{Host}"",app=""{App}""\}}\) > (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var minutes = overdue / 60 + 30;

        // Series as the runner pushes them: one successful run at time 0 (never again), and a failed one.
        var ok = Series(new RunSummary { Command = "backup", App = App, Host = Host, Outcome = Outcome.Success, ExitCode = 0, DurationSeconds = 1 });
        var failed = Series(new RunSummary { Command = "backup", App = "gitea", Host = Host, Outcome = Outcome.Failure, ExitCode = 1, DurationSeconds = 1 });
        var lastSuccess = ok[Notifier.LastSuccessMetric];
        var inv = CultureInfo.InvariantCulture;
        var tests = new StringBuilder();
        tests.Append("rule_files: [rules.yaml]\nevaluation_interval: 1m\ntests:\n");
        // 1. stale since time 0: fires after the threshold, not before
        tests.Append("  - interval: 1m\n    input_series:\n");
        tests.Append(inv, $"      - series: '{lastSuccess}'\n        values: '0x{minutes}'\n");
        tests.Append(inv, $"      - series: '{ok["manifestgen_last_run_success"]}'\n        values: '1x{minutes}'\n");
        tests.Append(inv, $"      - series: '{failed["manifestgen_last_run_success"]}'\n        values: '0x{minutes}'\n");
        tests.Append("    alert_rule_test:\n");
        tests.Append(inv, $"      - eval_time: {overdue / 60 - 10}m\n        alertname: ManifestGenBackupOverdue\n        exp_alerts: []\n");
        tests.Append(inv, $"      - eval_time: {minutes}m\n        alertname: ManifestGenBackupOverdue\n        exp_alerts:\n");
        tests.Append(inv, $"          - exp_labels: {{ severity: critical, host: {Host}, app: {App} }}\n            exp_annotations: {Annotations(rules, App, "ManifestGenBackupOverdue")}\n");
        tests.Append("      - eval_time: 10m\n        alertname: ManifestGenBackupFailed\n        exp_alerts:\n");
        tests.Append(inv, $"          - exp_labels: {{ severity: warning, host: {Host}, app: gitea }}\n            exp_annotations: {Annotations(rules, "gitea", "ManifestGenBackupFailed")}\n");
        // 2. a backup that succeeds every day: the last success follows the clock, nothing fires
        tests.Append("  - interval: 1m\n    input_series:\n");
        tests.Append(inv, $"      - series: '{lastSuccess}'\n        values: '0+60x{minutes}'\n");
        tests.Append("    alert_rule_test:\n");
        tests.Append(inv, $"      - eval_time: {minutes}m\n        alertname: ManifestGenBackupOverdue\n        exp_alerts: []\n");
        scratch.Write("tests.yaml", tests.ToString());

        var test = await Proc.RunAsync("promtool", ["test", "rules", Path.Combine(scratch.Path, "tests.yaml")], workingDirectory: scratch.Path);
        Assert.True(test.Succeeded, tests + "\n" + test.Stdout + test.Stderr);
    }

    [Fact]
    public void Should_allow_the_longest_gap_of_the_real_schedule_plus_both_deadlines()
    {
        // weekdays at 02:00: the longest gap is Friday to Monday
        var weekdays = new AlertedApp("h", "a", "0 2 * * 1-5", "Etc/UTC", 600, 3600);
        Assert.Equal(3 * 86400 + 600 + 3600, AlertsPlanner.OverdueAfterSeconds(weekdays));
        var hourly = new AlertedApp("h", "a", "17 * * * *", "Etc/UTC", 600, 1800);
        Assert.Equal(3600 + 600 + 1800, AlertsPlanner.OverdueAfterSeconds(hourly));
    }

    /// <summary>metric name → the series (name and labels) the runner writes for this run.</summary>
    private static Dictionary<string, string> Series(RunSummary run)
    {
        var labels = $"command=\"{run.Command}\",app=\"{run.App}\",host=\"{run.Host}\"";
        return Notifier.RenderMetrics(run, labels, 0, null).Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l[..l.LastIndexOf(' ')])
            .ToDictionary(s => s[..s.IndexOf('{')], s => s, StringComparer.Ordinal);
    }

    /// <summary>The annotations of one app's alert in the rule file, as a YAML flow mapping (JSON-quoted values).</summary>
    private static string Annotations(string rulesFile, string app, string alert)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(rulesFile)));
        var group = ((YamlSequenceNode)((YamlMappingNode)stream.Documents[0].RootNode)["groups"]).Children.Cast<YamlMappingNode>()
            .Single(g => ((YamlScalarNode)g["name"]).Value == $"manifestgen-{Host}-{app}");
        var rule = ((YamlSequenceNode)group["rules"]).Children.Cast<YamlMappingNode>().Single(r => ((YamlScalarNode)r["alert"]).Value == alert);
        return "{ " + string.Join(", ", ((YamlMappingNode)rule["annotations"]).Children.Select(kv =>
            $"{((YamlScalarNode)kv.Key).Value}: {System.Text.Json.JsonSerializer.Serialize(((YamlScalarNode)kv.Value).Value)}")) + " }";
    }

    /// <summary>The PrometheusRule's spec.groups as a Prometheus rule file.</summary>
    private static string RuleGroups(string prometheusRule)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(prometheusRule));
        var spec = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)["spec"];
        var doc = new YamlDocument(spec);
        var writer = new StringWriter();
        new YamlStream(doc).Save(writer, assignAnchors: false);
        return writer.ToString().Replace("...\n", "", StringComparison.Ordinal);
    }
}
