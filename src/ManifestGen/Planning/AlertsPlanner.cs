using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ManifestGen.Validation.Schedules;

namespace ManifestGen.Planning;

/// <summary>One app's backup as the alerts see it: its expanded schedule, zone and deadlines.</summary>
public sealed record AlertedApp(string Host, string App, string Schedule, string TimeZone, int StartingDeadlineSeconds, int ActiveDeadlineSeconds);

/// <summary>
/// The alert rules and the dashboard over the metrics the runner pushes (names in
/// <c>ManifestGen.Runner.Reporting.Notifier</c>, labels command, host, app). Per app: the last success is
/// older than the longest gap of its real schedule (H expanded, in its zone) plus how late it may start
/// and how long it may run; the last run failed; it ended with warnings; its drill failed. Once: the
/// repository check failed. Pure: no I/O.
/// </summary>
public static class AlertsPlanner
{
    // The same fixed reference week the schedule rules use: the threshold is the same on every render.
    private static readonly DateTimeOffset Reference = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Seconds after the last success when the backup is overdue; null when the schedule runs fewer than twice a year.</summary>
    public static long? OverdueAfterSeconds(AlertedApp app)
    {
        var parsed = CronExpression.Parse(app.Schedule);
        if (parsed.Schedule?.LongestInterval(Reference, TimeZones.Resolve(app.TimeZone)) is not { } gap)
            return null;
        return (long)gap.TotalSeconds + app.StartingDeadlineSeconds + app.ActiveDeadlineSeconds;
    }

    /// <summary>
    /// The rules and, when asked for, the dashboard of one environment. Opt-in: they need the Prometheus
    /// Operator and a pushgateway the jobs reach.
    /// </summary>
    internal static IEnumerable<RenderUnit> Units(PlanContext ctx, ImmutableArray<AlertedApp> apps)
    {
        if (ctx.Inv.Reporting.Alerts is not { Enabled: true } alerts)
            yield break;
        var env = ctx.Env;
        var alertLabels = Planner.With(ctx.BaseLabels, [("app.kubernetes.io/component", "alerts"), .. alerts.RuleLabels.Select(l => (l.Key, l.Value))]);
        yield return new RenderUnit("prometheus-rule.sbn", Rules(
            Planner.Meta(Names.Environment(Planner.ManagedBy, env), ctx.Ns, alertLabels, Planner.Wave(2)), apps,
            ctx.Inv.Maintenance.Drill.Enabled, ctx.Inv.Maintenance.Check.Enabled), "reporting.alerts");
        if (alerts.Dashboard)
            yield return new RenderUnit("config-map.sbn", new ConfigMapModel(
                Planner.Meta(Names.Dashboard(Planner.ManagedBy, env), ctx.Ns,
                    Planner.With(ctx.BaseLabels, ("app.kubernetes.io/component", "dashboard"), ("grafana_dashboard", "1")), Planner.Wave(2)),
                [new($"manifestgen-{env}.json", Dashboard(env))]), "reporting.alerts.dashboard");
    }

    public static PrometheusRuleModel Rules(ObjectMeta meta, ImmutableArray<AlertedApp> apps, bool drill, bool check)
    {
        var groups = ImmutableArray.CreateBuilder<AlertGroupModel>();
        foreach (var app in apps)
        {
            var selector = $"host=\"{app.Host}\",app=\"{app.App}\"";
            var who = $"{app.Host}/{app.App}";
            ImmutableArray<KeyValue> Labels(string severity) =>
                [new("host", app.Host), new("app", app.App), new("severity", severity)];
            var rules = ImmutableArray.CreateBuilder<AlertRuleModel>();
            if (OverdueAfterSeconds(app) is { } overdue)
                rules.Add(new AlertRuleModel("ManifestGenBackupOverdue",
                    $"time() - max(manifestgen_last_success_timestamp_seconds{{command=\"backup\",{selector}}}) > {overdue.ToString(CultureInfo.InvariantCulture)}",
                    "5m", Labels("critical"),
                    [new("summary", $"No successful backup of {who} for longer than its schedule allows"),
                     new("description", $"`{app.Schedule}` ({app.TimeZone}) leaves at most {Duration(overdue)} between successes, counting the longest gap, the start deadline and the run deadline.")]));
            rules.Add(new AlertRuleModel("ManifestGenBackupFailed",
                $"max(manifestgen_last_run_success{{command=\"backup\",{selector}}}) == 0", "0m", Labels("warning"),
                [new("summary", $"The last backup of {who} failed"),
                 new("description", "See the Job's log: one JSON summary line names the error; `kubectl logs job/...`.")]));
            rules.Add(new AlertRuleModel("ManifestGenBackupWarnings",
                $"max(manifestgen_last_run_warnings{{command=\"backup\",{selector}}}) > 0", "0m", Labels("info"),
                [new("summary", $"The last backup of {who} ended with warnings"),
                 new("description", "The snapshot was written, but something was skipped or vanished (unreadable files, rsync exit 24); the Job's log lists the warnings.")]));
            if (drill)
                rules.Add(new AlertRuleModel("ManifestGenDrillFailed",
                    $"max(manifestgen_last_run_success{{command=\"drill\",{selector}}}) == 0", "0m", Labels("critical"),
                    [new("summary", $"The restore drill of {who} failed"),
                     new("description", "Files restored from the latest snapshot could not be read back or differ from the host's unchanged files: the backup may not be restorable.")]));
            groups.Add(new AlertGroupModel($"manifestgen-{app.Host}-{app.App}", rules.ToImmutable()));
        }
        if (check)
            groups.Add(new AlertGroupModel("manifestgen-repository", [new AlertRuleModel("ManifestGenCheckFailed",
                "max(manifestgen_last_run_success{command=\"check\"}) == 0", "0m", [new("severity", "critical")],
                [new("summary", "restic check of the repository failed"),
                 new("description", "The repository's structure or sampled pack data is damaged; see the check Job's log before the next prune.")])]));
        return new PrometheusRuleModel(meta, groups.ToImmutable());
    }

    /// <summary>The Grafana dashboard (JSON, keys in a fixed order) over the pushed metrics, per host and app.</summary>
    public static string Dashboard(string environment)
    {
        JsonObject Panel(int id, string title, string type, string expr, string unit, int x, int y, int w, int h) => new()
        {
            ["id"] = id,
            ["title"] = title,
            ["type"] = type,
            // The default Prometheus data source; no template variables (the rendered text must hold no
            // placeholder-like syntax), and Grafana's default legend already names host and app.
            ["datasource"] = new JsonObject { ["type"] = "prometheus" },
            ["gridPos"] = new JsonObject { ["x"] = x, ["y"] = y, ["w"] = w, ["h"] = h },
            ["fieldConfig"] = new JsonObject { ["defaults"] = new JsonObject { ["unit"] = unit }, ["overrides"] = new JsonArray() },
            ["targets"] = new JsonArray(new JsonObject { ["refId"] = "A", ["expr"] = expr, ["instant"] = type == "table" }),
        };
        var dashboard = new JsonObject
        {
            ["title"] = $"ManifestGen backups ({environment})",
            ["uid"] = $"manifestgen-{environment}",
            ["schemaVersion"] = 39,
            ["time"] = new JsonObject { ["from"] = "now-7d", ["to"] = "now" },
            ["panels"] = new JsonArray(
                Panel(1, "Time since last successful backup", "table",
                    "time() - manifestgen_last_success_timestamp_seconds{command=\"backup\"}", "s", 0, 0, 12, 8),
                Panel(2, "Last run succeeded (1) or failed (0)", "table",
                    "manifestgen_last_run_success", "none", 12, 0, 12, 8),
                Panel(3, "Run duration", "timeseries",
                    "manifestgen_last_run_duration_seconds{command=\"backup\"}", "s", 0, 8, 12, 8),
                Panel(4, "Bytes over the wire", "timeseries",
                    "manifestgen_last_run_bytes_over_wire{command=\"backup\"}", "bytes", 12, 8, 12, 8),
                Panel(5, "Bytes added to the repository", "timeseries",
                    "manifestgen_last_run_bytes_added{command=\"backup\"}", "bytes", 0, 16, 12, 8),
                Panel(6, "Files new / changed", "timeseries",
                    "manifestgen_last_run_files_new{command=\"backup\"} + manifestgen_last_run_files_changed{command=\"backup\"}", "none", 12, 16, 12, 8),
                Panel(7, "Warnings of the last run", "table", "manifestgen_last_run_warnings", "none", 0, 24, 24, 6)),
        };
        return dashboard.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";
    }

    private static string Duration(long seconds)
    {
        var t = TimeSpan.FromSeconds(seconds);
        return t.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours} h {t.Minutes} min")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes} min");
    }
}
