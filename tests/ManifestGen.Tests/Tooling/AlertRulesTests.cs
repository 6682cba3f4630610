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
    public async Task An_app_that_never_reported_fires_as_overdue_after_its_threshold_and_healthy_jobs_fire_nothing()
    {
        var rules = await RenderedRulesAsync();
        var never = rules.Jobs.Where(j => j.App == App).Select(j => j.Instance).ToHashSet(StringComparer.Ordinal);
        var backup = rules.Alerts.Single(r => r.Name == "ManifestGenBackupOverdue" && r.Instance == $"backup-{Host}-{App}" && r.Expr.StartsWith("absent(", StringComparison.Ordinal));
        var threshold = rules.ThresholdMinutes(backup.Instance);
        const int end = 72 * 60;
        Assert.True(threshold < end, $"the daily backup's threshold ({threshold} min) is below 72 h");

        var test = new StringBuilder();
        test.Append(string.Create(CultureInfo.InvariantCulture, $"  - interval: {LongStep}m\n    input_series:\n"));
        // Every other job reports as it should; the app's jobs have no series at all.
        foreach (var job in rules.Jobs.Where(j => !never.Contains(j.Instance)))
            test.Append(Healthy(job, end, LongStep));
        test.Append("    alert_rule_test:\n");
        // Not before its threshold (the last evaluation before it), and from then on.
        test.Append(Eval((threshold - 1) / LongStep * LongStep, backup.Name, []));
        test.Append(Eval((threshold + LongStep - 1) / LongStep * LongStep + LongStep, backup.Name, [backup]));
        // At 72 h every alert of every name: the never-reported app's overdue alerts whose threshold has passed, nothing else.
        foreach (var name in rules.Alerts.Select(r => r.Name).Distinct())
            test.Append(Eval(end, name, [.. rules.Alerts.Where(r => r.Name == name && never.Contains(r.Instance)
                && r.Expr.StartsWith("absent(", StringComparison.Ordinal) && rules.ThresholdMinutes(r.Instance) < end)]));
        Assert.Contains(backup, rules.Alerts.Where(r => never.Contains(r.Instance)));
        // The dashboard's tables list every job of the inventory: the healthy ones with their value (no time
        // since the last success, last run succeeded), the app that never reported as -1 ("never reported").
        Assert.Equal(2, rules.DashboardTables.Count);
        test.Append("    promql_expr_test:\n");
        foreach (var (expr, healthyValue) in rules.DashboardTables.Zip([0, 1]))
        {
            test.Append(string.Create(CultureInfo.InvariantCulture, $"      - expr: {System.Text.Json.JsonSerializer.Serialize(expr)}\n        eval_time: {end}m\n        exp_samples:\n"));
            foreach (var job in rules.Jobs)
                test.Append(string.Create(CultureInfo.InvariantCulture,
                    $"          - labels: '{{instance=\"{job.Instance}\",role=\"{job.Role}\"{(job.Host is null ? "" : $",host=\"{job.Host}\"")}{(job.App is null ? "" : $",app=\"{job.App}\"")}}}'\n            value: {(never.Contains(job.Instance) ? -1 : healthyValue)}\n"));
        }
        await PromtoolTestAsync(rules, test.ToString(), LongStep);
    }

    [Fact]
    public async Task Every_rendered_alert_fires_on_its_condition_and_resolves_when_the_job_reports_again()
    {
        var rules = await RenderedRulesAsync();
        // Every kind of job has its rules: the maintenance jobs no longer render without reporting.
        foreach (var name in new[] { "ManifestGenBackupOverdue", "ManifestGenBackupFailed", "ManifestGenBackupWarnings", "ManifestGenDrillOverdue",
                     "ManifestGenDrillFailed", "ManifestGenForgetOverdue", "ManifestGenForgetFailed", "ManifestGenPruneOverdue", "ManifestGenPruneFailed",
                     "ManifestGenCheckOverdue", "ManifestGenCheckFailed", "ManifestGenInitFailed", "ManifestGenHostFilesStale" })
            Assert.Contains(rules.Alerts, r => r.Name == name);
        // Samples and evaluations every 5 minutes for the failures and warnings; for the overdue rules every
        // 3 hours when the threshold is days long, every hour when it is over 6 hours, else every minute.
        foreach (var step in new[] { 1, 5, 60, 180 })
        {
            var tests = new StringBuilder();
            foreach (var rule in rules.Alerts.Where(r => StepOf(rules, r) == step))
                tests.Append(FiresAndResolves(rules, rule, step));
            if (tests.Length > 0)
                await PromtoolTestAsync(rules, tests.ToString(), step);
        }
    }

    /// <summary>The step (minutes) of the 72-hour test: samples and evaluations every quarter of an hour.</summary>
    private const int LongStep = 15;

    private static bool IsOverdue(AlertRule rule) =>
        rule.Expr.StartsWith("absent(", StringComparison.Ordinal) || rule.Expr.StartsWith("time() - max(", StringComparison.Ordinal);

    private static int StepOf(RenderedRules rules, AlertRule rule) =>
        !IsOverdue(rule) ? 5 : rules.ThresholdMinutes(rule.Instance) switch { > 2 * 24 * 60 => 180, > 6 * 60 => 60, _ => 1 };

    /// <summary>
    /// One promtool test: every other job healthy; the rule's job in the state the rule is about, then
    /// reporting again. The rule's alert must be silent before its condition has lasted long enough,
    /// firing after, and resolved once the job reports again. Times in minutes, multiples of
    /// <paramref name="step"/> (the sample and evaluation interval).
    /// </summary>
    private static string FiresAndResolves(RenderedRules rules, AlertRule rule, int step)
    {
        var job = rules.Jobs.Single(j => j.Instance == rule.Instance);
        var sb = new StringBuilder();
        int quiet, firing, end;
        string series;
        var s = Series(job);
        string Clock(int from, int to) => $"{from * 60}+{step * 60}x{(to - from) / step}";
        if (IsOverdue(rule))
        {
            var threshold = (rules.ThresholdMinutes(job.Instance) + step - 1) / step * step;
            quiet = threshold - 2 * step;
            if (rule.Expr.StartsWith("absent(", StringComparison.Ordinal))
            {
                // No series at all until after the threshold, then a success at every step.
                firing = threshold + 2 * step;
                var back = firing + 2 * step;
                end = back + 4 * step;
                series = Line(s[Notifier.LastSuccessMetric], $"_x{back / step} {Clock(back, end)}")
                    + Line(s["manifestgen_last_run_success"], $"_x{back / step} 1x{(end - back) / step}");
            }
            else
            {
                // One success at time 0, nothing newer until after the threshold (and the rule's 5 minutes), then a success at every step.
                firing = threshold + step + Math.Max(5, step) + step;
                var back = firing + 2 * step;
                end = back + 4 * step;
                series = Line(s[Notifier.LastSuccessMetric], $"0x{back / step - 1} {Clock(back, end)}")
                    + Line(s["manifestgen_last_run_success"], $"1x{end / step}");
            }
        }
        else if (rule.Expr.EndsWith(" == 0", StringComparison.Ordinal))
        {
            // Fine for 20 minutes, failing for 40, fine again.
            (quiet, firing, end) = (10, 30, 120);
            series = Line(s[Notifier.LastSuccessMetric], Clock(0, end)) + Line(s["manifestgen_last_run_success"], FineFailingFine(1, 0, end, step));
        }
        else if (rule.Expr.EndsWith(" > 0", StringComparison.Ordinal) && rule.Expr.Contains(Notifier.WarningsMetric, StringComparison.Ordinal))
        {
            (quiet, firing, end) = (10, 30, 120);
            series = Line(s[Notifier.LastSuccessMetric], Clock(0, end)) + Line(s["manifestgen_last_run_success"], $"1x{end / step}")
                + Line(s[Notifier.WarningsMetric], FineFailingFine(0, 2, end, step));
        }
        else if (rule.Expr.EndsWith(" > 0", StringComparison.Ordinal) && rule.Expr.Contains(Notifier.HostFilesStaleMetric, StringComparison.Ordinal))
        {
            // Runs refused by the gate for minutes 20-59 (failures, so no new success), then fine again.
            (quiet, firing, end) = (10, 30, 120);
            series = Line(s[Notifier.LastSuccessMetric], Clock(0, end)) + Line(s["manifestgen_last_run_success"], FineFailingFine(1, 0, end, step))
                + Line(s[Notifier.HostFilesStaleMetric], FineFailingFine(0, 1, end, step));
        }
        else
            throw new Xunit.Sdk.XunitException($"no test knows the rule {rule.Name}: {rule.Expr}");
        sb.Append(string.Create(CultureInfo.InvariantCulture, $"  - interval: {step}m\n    input_series:\n"));
        // The other jobs with an alert of this name report as they should (only they could raise it too).
        foreach (var other in rules.Jobs.Where(j => j.Instance != job.Instance && rules.Alerts.Any(a => a.Name == rule.Name && a.Instance == j.Instance)))
            sb.Append(Healthy(other, end, step));
        sb.Append(series);
        sb.Append("    alert_rule_test:\n");
        sb.Append(Eval(quiet, rule.Name, []));
        sb.Append(Eval(firing, rule.Name, [rule]));
        sb.Append(Eval(end, rule.Name, []));
        return sb.ToString();
    }

    /// <summary>Values at every step: <paramref name="fine"/> for minutes 0-19, <paramref name="failing"/> for 20-59, <paramref name="fine"/> to the end.</summary>
    private static string FineFailingFine(int fine, int failing, int end, int step) =>
        string.Create(CultureInfo.InvariantCulture, $"{fine}x{20 / step - 1} {failing}x{40 / step - 1} {fine}x{(end - 60) / step}");

    /// <summary>A job that reports at every step: a success each time, no warnings.</summary>
    private static string Healthy(ExpectedSeries job, int minutes, int step = 1)
    {
        var s = Series(job);
        var n = minutes / step;
        return Line(s[Notifier.LastSuccessMetric], $"0+{step * 60}x{n}") + Line(s["manifestgen_last_run_success"], $"1x{n}")
            + Line(s[Notifier.WarningsMetric], $"0x{n}");
    }

    private static string Line(string series, string values) => $"      - series: '{series}'\n        values: '{values}'\n";

    private static string Eval(int minute, string alert, IReadOnlyList<AlertRule> firing)
    {
        var sb = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"      - eval_time: {minute}m\n        alertname: {alert}\n"));
        if (firing.Count == 0)
            return sb.Append("        exp_alerts: []\n").ToString();
        sb.Append("        exp_alerts:\n");
        foreach (var r in firing)
            sb.Append("          - exp_labels: ").Append(Flow(r.Labels)).Append("\n            exp_annotations: ").Append(Flow(r.Annotations)).Append('\n');
        return sb.ToString();
    }

    private static string Flow(IEnumerable<KeyValuePair<string, string>> map) =>
        "{ " + string.Join(", ", map.Select(kv => $"{kv.Key}: {System.Text.Json.JsonSerializer.Serialize(kv.Value)}")) + " }";

    private static async Task PromtoolTestAsync(RenderedRules rules, string tests, int step = 1)
    {
        using var scratch = new TempDir();
        scratch.Write("rules.yaml", rules.RuleFile);
        scratch.Write("tests.yaml", string.Create(CultureInfo.InvariantCulture, $"rule_files: [rules.yaml]\nevaluation_interval: {step}m\ntests:\n") + tests);
        // Seconds on an idle machine; a shared one can take many times as long.
        var run = await Proc.RunAsync("promtool", ["test", "rules", Path.Combine(scratch.Path, "tests.yaml")], TimeSpan.FromMinutes(15), workingDirectory: scratch.Path);
        Assert.True(run.Succeeded, $"promtool exit {run.ExitCode} (timed out: {run.TimedOut})\n{run.Stdout}\n{run.Stderr}");
    }

    private sealed record ExpectedSeries(string Instance, string Role, string? Host, string? App);

    private sealed record AlertRule(string Name, string Expr, string For, string Instance,
        IReadOnlyList<KeyValuePair<string, string>> Labels, IReadOnlyList<KeyValuePair<string, string>> Annotations);

    /// <summary>The production example's rules as a Prometheus rule file, its expected jobs and its alerts.</summary>
    private sealed record RenderedRules(string RuleFile, IReadOnlyList<ExpectedSeries> Jobs, IReadOnlyList<AlertRule> Alerts,
        IReadOnlyList<string> DashboardTables)
    {
        /// <summary>The overdue threshold of a job in minutes (rounded up), from its stale-series rule.</summary>
        public int ThresholdMinutes(string instance)
        {
            var stale = Alerts.Single(r => r.Instance == instance && r.Expr.StartsWith("time() - max(", StringComparison.Ordinal));
            var seconds = long.Parse(stale.Expr[(stale.Expr.LastIndexOf('>') + 1)..].Trim(), CultureInfo.InvariantCulture);
            return (int)((seconds + 59) / 60);
        }
    }

    private static async Task<RenderedRules> RenderedRulesAsync()
    {
        using var ws = new Workspace(copyExampleValues: true);
        Assert.Equal(0, new CliApp(new StringWriter(), new StringWriter()).Run(["render", "production", "--root", ws.Root], ws.Root));
        var ruleFile = RuleGroups(ws.Read("out/production/manifests/prometheusrule-manifestgen-production.yaml"));
        using (var scratch = new TempDir())
        {
            var check = await Proc.RunAsync("promtool", ["check", "rules", scratch.Write("rules.yaml", ruleFile)]);
            Assert.True(check.Succeeded, check.Stdout + check.Stderr);
            Assert.Contains("SUCCESS", check.Stdout + check.Stderr);
        }
        var stream = new YamlStream();
        stream.Load(new StringReader(ruleFile));
        var jobs = new List<ExpectedSeries>();
        var alerts = new List<AlertRule>();
        static string? Get(YamlMappingNode m, string key) => m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? ((YamlScalarNode)v).Value : null;
        static List<KeyValuePair<string, string>> Map(YamlMappingNode m, string key) => m.Children.TryGetValue(new YamlScalarNode(key), out var v)
            ? [.. ((YamlMappingNode)v).Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ((YamlScalarNode)kv.Value).Value!))]
            : [];
        foreach (var group in ((YamlSequenceNode)((YamlMappingNode)stream.Documents[0].RootNode)["groups"]).Children.Cast<YamlMappingNode>())
            foreach (var rule in ((YamlSequenceNode)group["rules"]).Children.Cast<YamlMappingNode>())
            {
                var labels = Map(rule, "labels");
                string? Label(string key) => labels.SingleOrDefault(l => l.Key == key).Value;
                if (Get(rule, "record") is { } record)
                {
                    Assert.Equal(AlertsPlanner.ExpectedMetric, record);
                    jobs.Add(new ExpectedSeries(Label("instance")!, Label("role")!, Label("host"), Label("app")));
                }
                else
                    alerts.Add(new AlertRule(Get(rule, "alert")!, Get(rule, "expr")!, Get(rule, "for")!, Label("instance")!, labels, Map(rule, "annotations")));
            }
        // Every alert is about a job of the expected set, and every job has alerts.
        Assert.All(alerts, a => Assert.Contains(jobs, j => j.Instance == a.Instance));
        Assert.All(jobs, j => Assert.Contains(alerts, a => a.Instance == j.Instance));
        // The dashboard's queries that promise a row for every job: those mapping -1 to "never reported".
        var dashboard = new YamlStream();
        dashboard.Load(new StringReader(ws.Read("out/production/manifests/configmap-manifestgen-dashboard-production.yaml")));
        var json = ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)dashboard.Documents[0].RootNode)["data"]).Children.Single().Value).Value!;
        var tables = System.Text.Json.Nodes.JsonNode.Parse(json)!["panels"]!.AsArray()
            .Where(p => p!["fieldConfig"]!["defaults"]!["mappings"] is not null)
            .Select(p => p!["targets"]![0]!["expr"]!.GetValue<string>()).ToList();
        return new RenderedRules(ruleFile, jobs, alerts, tables);
    }

    [Fact]
    public void Should_allow_the_longest_gap_of_the_real_schedule_plus_both_deadlines()
    {
        // weekdays at 02:00: the longest gap is Friday to Monday
        var weekdays = new ExpectedJob("backup-h-a", JobRole.Backup, "ns", "h", "a", "0 2 * * 1-5", "Etc/UTC", 600, 3600);
        Assert.Equal(3 * 86400 + 600 + 3600, AlertsPlanner.OverdueAfterSeconds(weekdays));
        var hourly = new ExpectedJob("backup-h-a", JobRole.Backup, "ns", "h", "a", "17 * * * *", "Etc/UTC", 600, 1800);
        Assert.Equal(3600 + 600 + 1800, AlertsPlanner.OverdueAfterSeconds(hourly));
    }

    /// <summary>
    /// metric name → the series (name and labels) the runner pushes for a run of this job: its labels are the
    /// runner's own (<see cref="Notifier.MetricLabels"/>), the job label the one its pushgateway group adds.
    /// </summary>
    private static Dictionary<string, string> Series(ExpectedSeries job)
    {
        var command = job.Role switch { "forget" or "prune" => "maintain", var role => role };
        var run = new RunSummary
        {
            Command = command, Host = job.App is null ? null : job.Host, App = job.App,
            Outcome = Outcome.Success, ExitCode = 0, DurationSeconds = 1,
        };
        var labels = Notifier.MetricLabels(run, job.Instance) + ",job=\"manifestgen\"";
        return Notifier.RenderMetrics(run, labels, 0, null).Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l[..l.LastIndexOf(' ')])
            .ToDictionary(s => s[..s.IndexOf('{')], s => s, StringComparer.Ordinal);
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
