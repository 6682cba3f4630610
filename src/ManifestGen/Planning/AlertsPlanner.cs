using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ManifestGen.Validation.Schedules;

namespace ManifestGen.Planning;

/// <summary>
/// The alert rules and the dashboard over the metrics the runner pushes (names in
/// <c>ManifestGen.Runner.Reporting.Notifier</c>; every rendered job pushes as <c>instance</c> = its name). The
/// expected set is rendered too: one recording rule per job (<see cref="ExpectedMetric"/>), which the
/// dashboard joins, so a job that never reported is listed. Per job: overdue when its last success is older
/// than the longest gap of its real schedule (H expanded, in its zone) plus how late it may start and how
/// long it may run; overdue as well when it has no series at all for that long (never reported: a new app,
/// a Secret missing so the pod never starts; or its series are gone: a pushgateway restarted without
/// persistence); failed when its last run failed; a backup's warnings. Pure: no I/O.
/// </summary>
public static class AlertsPlanner
{
    // The same fixed reference week the schedule rules use: the threshold is the same on every render.
    private static readonly DateTimeOffset Reference = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The recorded series of the expected set: 1 per rendered job, labels instance, role, host, app.</summary>
    public const string ExpectedMetric = "manifestgen_expected_job";

    /// <summary>Seconds after the last success when the job is overdue; null for a job without a schedule or one that runs fewer than twice a year.</summary>
    public static long? OverdueAfterSeconds(ExpectedJob job)
    {
        if (job.Schedule is not { } schedule)
            return null;
        var parsed = CronExpression.Parse(schedule);
        if (parsed.Schedule?.LongestInterval(Reference, TimeZones.Resolve(job.TimeZone)) is not { } gap)
            return null;
        return (long)gap.TotalSeconds + job.StartingDeadlineSeconds + job.ActiveDeadlineSeconds;
    }

    /// <summary>
    /// The rules and, when asked for, the dashboard of one environment. Opt-in: they need the Prometheus
    /// Operator and a pushgateway the jobs reach.
    /// </summary>
    internal static IEnumerable<RenderUnit> Units(PlanContext ctx, ImmutableArray<ExpectedJob> jobs)
    {
        if (ctx.Inv.Reporting.Alerts is not { Enabled: true } alerts)
            yield break;
        var env = ctx.Env;
        var alertLabels = Planner.With(ctx.BaseLabels, [("app.kubernetes.io/component", "alerts"), .. alerts.RuleLabels.Select(l => (l.Key, l.Value))]);
        yield return new RenderUnit("prometheus-rule.sbn", Rules(
            Planner.Meta(Names.Environment(Planner.ManagedBy, env), ctx.Ns, alertLabels, Planner.Wave(2)), jobs), "reporting.alerts");
        if (alerts.Dashboard)
            yield return new RenderUnit("config-map.sbn", new ConfigMapModel(
                Planner.Meta(Names.Dashboard(Planner.ManagedBy, env), ctx.Ns,
                    Planner.With(ctx.BaseLabels, ("app.kubernetes.io/component", "dashboard"), ("grafana_dashboard", "1")), Planner.Wave(2)),
                [new($"manifestgen-{env}.json", Dashboard(env, coverage: jobs.Any(j => j.Role == JobRole.Coverage)))]), "reporting.alerts.dashboard");
    }

    /// <summary>
    /// The expected set first (recording rules), then one group per app (its backup and drill), then the
    /// repository's jobs (init, forget, prune, check).
    /// </summary>
    public static PrometheusRuleModel Rules(ObjectMeta meta, ImmutableArray<ExpectedJob> jobs)
    {
        var groups = ImmutableArray.CreateBuilder<AlertGroupModel>();
        if (jobs.IsEmpty)
            return new PrometheusRuleModel(meta, []);
        groups.Add(new AlertGroupModel("manifestgen-expected", [.. jobs.Select(job =>
            new AlertRuleModel(null, "vector(1)", null, IdentityLabels(job), []) { Record = ExpectedMetric })]));
        foreach (var app in jobs.Where(j => j.App is not null).GroupBy(j => (j.Host, j.App)))
            groups.Add(new AlertGroupModel($"manifestgen-{app.Key.Host}-{app.Key.App}", [.. app.SelectMany(JobRules)]));
        if (jobs.Where(j => j.App is null && j.Role != JobRole.Coverage).ToList() is { Count: > 0 } repository)
            groups.Add(new AlertGroupModel("manifestgen-repository", [.. repository.SelectMany(JobRules)]));
        // The coverage jobs read hosts, not the repository: a group of their own.
        if (jobs.Where(j => j.Role == JobRole.Coverage).ToList() is { Count: > 0 } coverage)
            groups.Add(new AlertGroupModel("manifestgen-coverage", [.. coverage.SelectMany(JobRules)]));
        return new PrometheusRuleModel(meta, groups.ToImmutable());
    }

    /// <summary>instance, role, host and app (when the job has them): the labels that name a job.</summary>
    private static ImmutableArray<KeyValue> IdentityLabels(ExpectedJob job) =>
        [new("instance", job.Name), new("role", job.RoleName), .. HostAndApp(job)];

    private static IEnumerable<KeyValue> HostAndApp(ExpectedJob job) =>
        [.. job.Host is { } host ? [new KeyValue("host", host)] : Array.Empty<KeyValue>(),
         .. job.App is { } app ? [new KeyValue("app", app)] : Array.Empty<KeyValue>()];

    /// <summary>The alerts of one job, all selecting its series by instance (the job's name).</summary>
    private static IEnumerable<AlertRuleModel> JobRules(ExpectedJob job)
    {
        var selector = $"{{instance=\"{job.Name}\"}}";
        var title = job.Role.ToString();
        var what = What(job);
        ImmutableArray<KeyValue> Labels(string severity, string? reason = null) =>
        [
            .. HostAndApp(job),
            new("instance", job.Name),
            .. reason is null ? Array.Empty<KeyValue>() : [new KeyValue("reason", reason)],
            new("severity", severity),
        ];
        if (OverdueAfterSeconds(job) is { } overdue)
        {
            var severity = job.Role == JobRole.Backup ? "critical" : "warning";
            var allowed = $"`{job.Schedule}` ({job.TimeZone}) leaves at most {Duration(overdue)} between successes, counting the longest gap, the start deadline and the run deadline.";
            var name = $"ManifestGen{title}Overdue";
            var lastSuccess = $"manifestgen_last_success_timestamp_seconds{selector}";
            yield return new AlertRuleModel(name,
                $"time() - max({lastSuccess}) > {overdue.ToString(CultureInfo.InvariantCulture)}", "5m", Labels(severity, "last-success-too-old"),
                [new("summary", $"No successful {what} for longer than its schedule allows"), new("description", allowed)]);
            // No series at all: the same alert once the job has had as long to report as a stale one (a
            // label of its own: two rules of one name and labels are duplicates to Prometheus' linter).
            yield return new AlertRuleModel(name, $"absent({lastSuccess})", PromDuration(overdue), Labels(severity, "no-series"),
                [new("summary", $"No successful {what} has been reported for longer than its schedule allows"),
                 new("description", $"{allowed} Job {job.Name} has no series in the pushgateway: it never succeeded (a new job, a Secret missing so its pod never starts, every run failing) or its series are gone (a pushgateway restarted without persistence).")]);
        }
        yield return new AlertRuleModel($"ManifestGen{title}Failed",
            $"max(manifestgen_last_run_success{selector}) == 0", "0m",
            Labels(job.Role is JobRole.Backup or JobRole.Forget or JobRole.Prune or JobRole.Init ? "warning" : "critical"),
            [new("summary", $"The last {what} failed"), new("description", FailedDescription(job))]);
        // Backups, drills and coverage runs reach the host: behind the gate, a run refused for an allow-list
        // other than the job's says which file to install (the runner's summary line names it too).
        if (job.Role is JobRole.Backup or JobRole.Drill or JobRole.Coverage)
            yield return new AlertRuleModel("ManifestGenHostFilesStale",
                $"max(manifestgen_last_run_host_files_stale{selector}) > 0", "0m", Labels("critical"),
                [new("summary", $"The host gate on {job.Host} refused the last {what}: its allow-list is not the one this commit rendered"),
                 new("description", $"Argo CD synced jobs rendered with host files that {job.Host} does not have yet. Install the host's files of this commit (out/<environment>/hosts/{job.Host}/backup.allow, restore.allow; the Job's summary line names the file as installHostFile) on {job.Host}; every run of the host's apps fails until then.")]);
        // Each kind of finding is one metric (the runner's manifestgen_uncovered_*); any of them above 0 is
        // data on the host that no app backs up.
        if (job.Role == JobRole.Coverage)
            yield return new AlertRuleModel("ManifestGenUncovered",
                string.Join(" or ", UncoveredMetrics.Select(m => $"max({m}{selector}) > 0")), "0m", Labels("warning"),
                [new("summary", $"Host {job.Host} has data that no app backs up"),
                 new("description", $"The last coverage run on {job.Host} found compose projects without an app, mounts outside every app path or left out by an exclude, or databases without a dump. Its Job's summary line lists each finding; `manifestgen discover` turns that line into inventory entries.")]);
        if (job.Role == JobRole.Backup)
            yield return new AlertRuleModel("ManifestGenBackupWarnings",
                $"max(manifestgen_last_run_warnings{selector}) > 0", "0m", Labels("info"),
                [new("summary", $"The last {what} ended with warnings"),
                 new("description", "The snapshot was written, but something was skipped or vanished (unreadable files, rsync exit 24); the Job's log lists the warnings.")]);
    }

    /// <summary>The coverage job's metrics, one a kind of finding (names in <c>ManifestGen.Runner.Reporting.Notifier</c>).</summary>
    public static readonly ImmutableArray<string> UncoveredMetrics =
        ["manifestgen_uncovered_projects", "manifestgen_uncovered_mounts", "manifestgen_uncovered_excluded_mounts", "manifestgen_uncovered_databases"];

    private static string What(ExpectedJob job)
    {
        var of = job.Host is null ? "the repository" : $"host {job.Host}'s repository";
        return job.Role switch
        {
            JobRole.Backup => $"backup of {job.Host}/{job.App}",
            JobRole.Drill => $"restore drill of {job.Host}/{job.App}",
            JobRole.Forget => $"forget of host {job.Host}'s snapshots ({job.Name})",
            JobRole.Prune => $"prune of {of} ({job.Name})",
            JobRole.Check => $"restic check of {of} ({job.Name})",
            JobRole.Copy => $"offsite copy of {of} ({job.Name})",
            JobRole.CopyCheck => $"restic check of the offsite copy of {of} ({job.Name})",
            JobRole.Coverage => $"coverage run on host {job.Host} ({job.Name})",
            _ => $"initialisation of {of} ({job.Name})",
        };
    }

    private static string FailedDescription(ExpectedJob job) => job.Role switch
    {
        JobRole.Drill => "Files restored from the latest snapshot could not be read back or differ from the host's unchanged files: the backup may not be restorable.",
        JobRole.Check => "The repository's structure or sampled pack data is damaged; see the check Job's log before the next prune.",
        JobRole.Forget => "Retention was not applied: snapshots are kept beyond the policy (with `repository.server` this job also prunes, so nothing was pruned either). The Job's log names the group and restic's error.",
        JobRole.Prune => "Unreferenced data was not removed: the repository keeps growing. The Job's log has restic's error (a lock held too long, a damaged pack).",
        JobRole.Init => "The repository could not be opened or created: every job that uses it fails. The Job's log has restic's error.",
        JobRole.Copy => "The new snapshots did not reach the offsite copy: if the NAS is lost now, they are lost with it. The Job's log has restic's error (the copy's server unreachable, a wrong password, a server that would delete although the inventory says append-only). A rerun copies only what is missing.",
        JobRole.Coverage => "The host could not be asked what it runs: the gate refused the discovery (the host's backup.allow without it, or no jq on the host) or SSH failed. The Job's summary line names the error and the file to install.",
        JobRole.CopyCheck => "The offsite copy's structure or the packs read this time are damaged: the copy may not restore. Tell the copy's owner; see the check Job's log.",
        _ => "See the Job's log: one JSON summary line names the error; `kubectl logs job/...`.",
    };

    /// <summary>A Prometheus duration for <c>for:</c> (whole days, hours, minutes and seconds: 1d3h10m).</summary>
    public static string PromDuration(long seconds)
    {
        var t = TimeSpan.FromSeconds(seconds);
        var inv = CultureInfo.InvariantCulture;
        var text = string.Concat(
            t.Days > 0 ? t.Days.ToString(inv) + "d" : "", t.Hours > 0 ? t.Hours.ToString(inv) + "h" : "",
            t.Minutes > 0 ? t.Minutes.ToString(inv) + "m" : "", t.Seconds > 0 ? t.Seconds.ToString(inv) + "s" : "");
        return text.Length == 0 ? "0s" : text;
    }

    /// <summary>
    /// A per-job value for every expected job: <paramref name="perInstance"/> (one series per instance) with
    /// the job's role, host and app from the expected set, and -1 for a job with no such series.
    /// </summary>
    public static string EveryExpectedJob(string perInstance) =>
        $"({perInstance}) * on (instance) group_left (role, host, app) {ExpectedMetric} or {ExpectedMetric} * -1";

    /// <summary>The Grafana dashboard (JSON, keys in a fixed order) over the pushed metrics, per host and app.</summary>
    public static string Dashboard(string environment, bool coverage = false)
    {
        JsonObject Panel(int id, string title, string type, string expr, string unit, int x, int y, int w, int h, bool never = false) => new()
        {
            ["id"] = id,
            ["title"] = title,
            ["type"] = type,
            // The default Prometheus data source; no template variables (the rendered text must hold no
            // placeholder-like syntax), and Grafana's default legend already names host and app.
            ["datasource"] = new JsonObject { ["type"] = "prometheus" },
            ["gridPos"] = new JsonObject { ["x"] = x, ["y"] = y, ["w"] = w, ["h"] = h },
            ["fieldConfig"] = new JsonObject
            {
                ["defaults"] = never
                    ? new JsonObject
                    {
                        ["unit"] = unit,
                        // EveryExpectedJob's -1: the job is expected but has no series.
                        ["mappings"] = new JsonArray(new JsonObject
                        {
                            ["type"] = "value",
                            ["options"] = new JsonObject { ["-1"] = new JsonObject { ["text"] = "never reported", ["index"] = 0 } },
                        }),
                    }
                    : new JsonObject { ["unit"] = unit },
                ["overrides"] = new JsonArray(),
            },
            ["targets"] = new JsonArray(new JsonObject { ["refId"] = "A", ["expr"] = expr, ["instant"] = type == "table" }),
        };
        var dashboard = new JsonObject
        {
            ["title"] = $"ManifestGen backups ({environment})",
            ["uid"] = $"manifestgen-{environment}",
            ["schemaVersion"] = 39,
            ["time"] = new JsonObject { ["from"] = "now-7d", ["to"] = "now" },
            ["panels"] = new JsonArray(
                Panel(1, "Time since last success, every job of the inventory", "table",
                    EveryExpectedJob("time() - max by (instance) (manifestgen_last_success_timestamp_seconds)"), "s", 0, 0, 12, 8, never: true),
                Panel(2, "Last run succeeded (1) or failed (0), every job of the inventory", "table",
                    EveryExpectedJob("max by (instance) (manifestgen_last_run_success)"), "none", 12, 0, 12, 8, never: true),
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
        // Only with a coverage job: an inventory without one keeps its dashboard as it was.
        if (coverage)
            dashboard["panels"]!.AsArray().Add((JsonNode)Panel(8, "Uncovered on each host (coverage jobs)", "table",
                "{__name__=~\"manifestgen_uncovered_.*\"}", "none", 0, 30, 24, 6));
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
