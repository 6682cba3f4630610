using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ManifestGen.Contracts;

namespace ManifestGen.Runner.Reporting;

/// <summary>
/// Optional outside reporting: healthchecks-style pings (URL read from a mounted file, because it embeds
/// a token, and never logged) and Prometheus metrics (text-file collector and/or pushgateway). A failed
/// ping or push is logged but never changes the run's outcome.
/// </summary>
public sealed class Notifier(ReportingConfig config, Log log, HttpClient http)
{
    /// <summary>
    /// Every request is bounded by the token its caller passes (the start ping by
    /// <see cref="UnhurriedReportSeconds"/>, the final reports by the shutdown budget when one applies), not by
    /// one client-wide timeout: the first request of a process also pays for connecting (and TLS) and for
    /// loading the HTTP stack, which takes seconds on a loaded node, far more than the grace period's share.
    /// </summary>
    public static HttpClient CreateHttpClient() => new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The bound of a report that no shutdown is waiting for: the start ping, the end of a run that ended on its own.</summary>
    public const int UnhurriedReportSeconds = 30;

    private string? _pingUrl;
    private bool _pingUrlRead;

    /// <summary>The ping URL, read once per run (a missing or unreadable file is said once, and the run goes on without pings).</summary>
    private string? PingUrl()
    {
        if (_pingUrlRead) return _pingUrl;
        _pingUrlRead = true;
        if (config.PingUrlFile is not { } file) return null;
        try
        {
            var url = File.ReadAllText(file).Trim();
            return _pingUrl = url.Length == 0 ? null : url.TrimEnd('/');
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // A Secret volume of one URL per job is optional: the key this job reads may not exist yet.
            log.Warn($"no ping URL: {file} does not exist (with one URL per job: the ping Secret has no key for this job); this run sends no pings");
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.Warn($"cannot read ping URL file {file}: {ex.Message}; this run sends no pings");
            return null;
        }
    }

    /// <summary>
    /// An http(s) URL, or the reason it is not one. The ping URL embeds a token, so its problem is told
    /// without the URL; the pushgateway URL is not secret and is named.
    /// </summary>
    public static string? UrlProblem(string url, string what, bool secret) =>
        JobConfigRules.WhyNotHttpUrl(url) is { } why ? $"{what}{(secret ? "" : $" '{url}'")} {why}" : null;

    /// <summary>Checks the reporting targets before the run starts; returns what is wrong, or null.</summary>
    public string? Problem()
    {
        if (PingUrl() is { } ping && UrlProblem(ping, $"the ping URL in {config.PingUrlFile}", secret: true) is { } p) return p;
        if (config.PushgatewayUrl is { } gw && UrlProblem(gw, "reporting.pushgatewayUrl", secret: false) is { } g) return g;
        return null;
    }

    public async Task StartAsync(CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(UnhurriedReportSeconds));
        await PingAsync("/start", null, bound.Token);
    }

    /// <summary>Pings the end of the run and pushes its metrics as <paramref name="instance"/> (the rendered job's name), when known.</summary>
    public async Task FinishAsync(RunSummary summary, string? instance, CancellationToken ct)
    {
        await PingAsync(summary.Outcome == Outcome.Failure ? "/fail" : "", summary.ToJsonLine(), ct);
        await MetricsAsync(summary, instance, ct);
    }

    private async Task PingAsync(string suffix, string? body, CancellationToken ct)
    {
        if (PingUrl() is not { } url) return;
        try
        {
            using var content = new StringContent(body ?? "", Encoding.UTF8, "application/json");
            using var resp = await http.PostAsync(url + suffix, content, ct);
            if (!resp.IsSuccessStatusCode)
                log.Warn($"ping{(suffix.Length == 0 ? "" : " " + suffix)} answered HTTP {(int)resp.StatusCode}");
        }
        catch (Exception ex)
        {
            // Reporting never decides the outcome and never crashes the runner.
            // The message may contain the URL (and its token): say only what kind of failure it was.
            log.Warn($"ping{(suffix.Length == 0 ? "" : " " + suffix)} failed: {ex.GetType().Name}");
        }
    }

    public const string LastSuccessMetric = "manifestgen_last_success_timestamp_seconds";
    public const string WarningsMetric = "manifestgen_last_run_warnings";
    /// <summary>1 when the host gate refused the last run for running another allow-list than the job's (host files not installed).</summary>
    public const string HostFilesStaleMetric = "manifestgen_last_run_host_files_stale";
    /// <summary>The first of the coverage job's metrics (manifestgen_uncovered_*), one a kind of finding.</summary>
    public const string UncoveredProjectsMetric = "manifestgen_uncovered_projects";

    /// <summary>Prometheus text format. On failure the last-success line of the previous file is kept.</summary>
    public static string RenderMetrics(RunSummary s, string labels, double now, string? previousLastSuccess)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        void Gauge(string name, string help, double? value)
        {
            if (value is not { } v) return;
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(" gauge\n");
            sb.Append(name).Append('{').Append(labels).Append("} ").Append(v.ToString("R", inv)).Append('\n');
        }
        double? lastSuccess = s.Outcome != Outcome.Failure ? now
            : previousLastSuccess is not null && double.TryParse(previousLastSuccess, NumberStyles.Float, inv, out var p) ? p : null;
        Gauge(LastSuccessMetric, "Unix time of the last run that did not fail.", lastSuccess);
        Gauge("manifestgen_last_run_timestamp_seconds", "Unix time of the last run.", now);
        Gauge("manifestgen_last_run_success", "1 when the last run did not fail.", s.Outcome == Outcome.Failure ? 0 : 1);
        Gauge("manifestgen_last_run_exit_code", "Exit code of the last run.", s.ExitCode);
        Gauge("manifestgen_last_run_duration_seconds", "Duration of the last run.", s.DurationSeconds);
        Gauge("manifestgen_last_run_files_new", "Files restic saw as new.", s.FilesNew);
        Gauge("manifestgen_last_run_files_changed", "Files restic saw as changed.", s.FilesChanged);
        Gauge("manifestgen_last_run_files_unmodified", "Files restic skipped as unmodified.", s.FilesUnmodified);
        Gauge("manifestgen_last_run_bytes_over_wire", "Bytes transferred from the host.", s.BytesOverWire);
        Gauge("manifestgen_last_run_bytes_added", "Bytes added to the repository (packed).", s.BytesAdded);
        Gauge("manifestgen_last_run_snapshots_copied", "Snapshots the last copy added to the offsite copy.", s.SnapshotsCopied);
        Gauge(WarningsMetric, "Warnings of the last run (listed in its summary line).", s.Warnings.Length);
        Gauge("manifestgen_last_run_services_left_stopped", "Services the last run stopped and could not start again.", s.ServicesLeftStopped.Length);
        Gauge("manifestgen_last_run_services_stopped_seconds", "Seconds the last run kept the app's services stopped.", s.ServicesStoppedSeconds);
        Gauge("manifestgen_last_run_services_recovered", "Services a previous run left stopped that the last run started.", s.ServicesRecovered.Length);
        if (s.Coverage is { } c)
        {
            Gauge(UncoveredProjectsMetric, "Compose projects on the host that no app backs up.", c.Count(CoverageFindingKind.ProjectWithoutApp));
            Gauge("manifestgen_uncovered_mounts", "Bind mounts and named volumes of covered projects that no app path holds.", c.Count(CoverageFindingKind.MountNotBackedUp));
            Gauge("manifestgen_uncovered_excluded_mounts", "Mounts an app path holds but its excludes leave out.", c.Count(CoverageFindingKind.MountExcluded));
            Gauge("manifestgen_uncovered_databases", "Database containers of covered projects whose apps have no dump for them.", c.Count(CoverageFindingKind.DatabaseWithoutDump));
        }
        Gauge(HostFilesStaleMetric, "1 when the host gate refused the last run: the host runs another allow-list than the job was rendered with.", s.InstallHostFile is null ? 0 : 1);
        return sb.ToString();
    }

    /// <summary>
    /// The labels of every metric of a run: command, app and host as the summary names them (empty when the
    /// job has none) and, for a rendered job, instance: its name, which the alert rules select on.
    /// </summary>
    public static string MetricLabels(RunSummary s, string? instance) =>
        $"command=\"{Escape(s.Command)}\",app=\"{Escape(s.App ?? "")}\",host=\"{Escape(s.Host ?? "")}\""
        + (instance is null ? "" : $",instance=\"{Escape(instance)}\"");

    /// <summary>
    /// The run's pushgateway group: one per rendered job (job manifestgen, instance its name), so jobs of
    /// one command (every host's forget, the prune) never replace each other's metrics; without an
    /// instance, the group of command, host and app.
    /// </summary>
    public static string PushGroup(RunSummary s, string? instance)
    {
        var group = "/metrics/job/manifestgen";
        if (instance is not null)
            return group + "/instance/" + Uri.EscapeDataString(instance);
        group += "/command/" + Uri.EscapeDataString(s.Command);
        if (s.Host is { Length: > 0 } h) group += "/host/" + Uri.EscapeDataString(h);
        if (s.App is { Length: > 0 } a) group += "/app/" + Uri.EscapeDataString(a);
        return group;
    }

    private static string Escape(string v) => v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private async Task MetricsAsync(RunSummary s, string? instance, CancellationToken ct)
    {
        if (config.MetricsFile is null && config.PushgatewayUrl is null) return;
        var labels = MetricLabels(s, instance);
        var now = Math.Round(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, 3);
        if (config.MetricsFile is { } file)
        {
            try
            {
                string? previous = null;
                if (File.Exists(file))
                    previous = File.ReadLines(file).FirstOrDefault(l => l.StartsWith(LastSuccessMetric + "{", StringComparison.Ordinal))?.Split(' ')[^1];
                var tmp = file + ".tmp";
                await File.WriteAllTextAsync(tmp, RenderMetrics(s, labels, now, previous), new UTF8Encoding(false), ct);
                File.Move(tmp, file, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                log.Warn($"cannot write metrics file {file}: {ex.Message}");
            }
        }
        if (config.PushgatewayUrl is { } gw)
        {
            // PUT replaces the group (success); POST keeps metrics not sent, so a failure keeps last-success.
            var group = PushGroup(s, instance);
            var body = RenderMetrics(s, labels, now, null);
            if (s.Outcome == Outcome.Failure)
                body = string.Join('\n', body.Split('\n').Where(l => !l.Contains(LastSuccessMetric, StringComparison.Ordinal)));
            try
            {
                using var content = new StringContent(body.EndsWith('\n') ? body : body + "\n", Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = null };
                content.Headers.ContentType.Parameters.Add(new NameValueHeaderValue("version", "0.0.4"));
                using var req = new HttpRequestMessage(s.Outcome == Outcome.Failure ? HttpMethod.Post : HttpMethod.Put, gw.TrimEnd('/') + group) { Content = content };
                using var resp = await http.SendAsync(req, ct);
                if (!resp.IsSuccessStatusCode) log.Warn($"pushgateway answered HTTP {(int)resp.StatusCode}");
            }
            catch (Exception ex)
            {
                log.Warn($"pushgateway push failed: {ex.GetType().Name}");
            }
        }
    }
}
