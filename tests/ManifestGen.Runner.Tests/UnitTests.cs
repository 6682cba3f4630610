using ManifestGen.Contracts;
using ManifestGen.Runner;
using ManifestGen.Runner.Cli;
using ManifestGen.Runner.Jobs;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Reporting;
using ManifestGen.Runner.Restic;
using ManifestGen.Runner.Transfer;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

public sealed class ShellQuoteTests
{
    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("$(rm -rf /)", "'$(rm -rf /)'")]
    [InlineData("", "''")]
    [InlineData("line1\nline2", "'line1\nline2'")]
    [InlineData("ümlaut ☃", "'ümlaut ☃'")]
    public void Should_quote_every_character_literally(string input, string expected) =>
        Assert.Equal(expected, ShellQuote.Quote(input));

    [Fact]
    public void Should_refuse_a_NUL_character() =>
        Assert.Throws<ArgumentException>(() => ShellQuote.Quote("a\0b"));

    [Theory]
    [InlineData("a b")]
    [InlineData("it's \"quoted\"")]
    [InlineData("$(touch /tmp/pwned) `id` $HOME ; | & > <")]
    [InlineData("new\nline\ttab")]
    [InlineData("-n")]
    [InlineData("'''")]
    [InlineData("ümlaut ☃ 日本")]
    public async Task Should_round_trip_through_a_real_posix_shell(string value)
    {
        var r = await Testing.Proc.RunAsync("sh", ["-c", "printf '%s' " + ShellQuote.Quote(value)]);
        Assert.Equal(0, r.ExitCode);
        // The runner reads output line by line; compare without the final newline it appends.
        Assert.Equal(value, r.Stdout.TrimEnd('\n'));
    }
}

public sealed class ResticVersionTests
{
    [Theory]
    [InlineData("restic 0.18.0 compiled with go1.24.4 on linux/amd64", "0.18.0")]
    [InlineData("restic 0.17.3 compiled with go1.23 on linux/arm64", "0.17.3")]
    [InlineData("restic 1.2 compiled", "1.2.0")]
    public void I_can_read_the_version(string output, string expected) =>
        Assert.Equal(Version.Parse(expected), ResticVersion.Require(output, "restic"));

    [Theory]
    [InlineData("restic 0.14.0 compiled with go1.19.8 on linux/amd64")]
    [InlineData("restic 0.16.5 compiled")]
    public void Should_refuse_restic_older_than_0_17(string output)
    {
        var ex = Assert.Throws<RunnerException>(() => ResticVersion.Require(output, "/usr/bin/restic"));
        Assert.Equal(RunnerExit.Usage, ex.Exit);
        Assert.Contains("too old", ex.Message);
        Assert.Contains(">= 0.17", ex.Message);
    }

    [Fact]
    public void Should_refuse_output_that_is_not_a_version() =>
        Assert.Throws<RunnerException>(() => ResticVersion.Require("command not found", "restic"));
}

public sealed class ResticExitTests
{
    [Theory]
    [InlineData(0, false, RunnerExit.Ok)]
    [InlineData(3, false, RunnerExit.Ok)]
    [InlineData(3, true, RunnerExit.Partial)]
    [InlineData(10, false, RunnerExit.RepositoryMissing)]
    [InlineData(11, false, RunnerExit.Locked)]
    [InlineData(12, false, RunnerExit.WrongPassword)]
    [InlineData(130, false, RunnerExit.Interrupted)]
    [InlineData(1, false, RunnerExit.Failure)]
    [InlineData(2, false, RunnerExit.Failure)]
    [InlineData(77, false, RunnerExit.Failure)]
    public void Should_map_restic_exit_codes(int code, bool partialIsFailure, RunnerExit expected) =>
        Assert.Equal(expected, ResticExit.ToRunnerExit(ResticExit.Classify(code), partialIsFailure));
}

public sealed class CommandLineTests
{
    [Fact]
    public void I_can_parse_a_restore_of_one_file_to_a_folder()
    {
        var cli = CommandLine.Parse(["restore", "--path", "/srv/app/x.conf", "--target", "/tmp/r", "--snapshot", "abc123"]);
        Assert.Equal("restore", cli.Command);
        Assert.Equal(["/srv/app/x.conf"], cli.Restore.Paths.ToArray());
        Assert.Equal("/tmp/r", cli.Restore.Target);
        Assert.Equal("abc123", cli.Restore.Snapshot);
        Assert.False(cli.Restore.Force);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("backup", "--force")]
    [InlineData("restore", "--path")]
    [InlineData("backup", "--bogus")]
    [InlineData("restore", "--at", "2026-11-30 02:00")]
    [InlineData("restore", "--at", "2026-11-30T02:00:00Z", "--snapshot", "latest")]
    public void Should_reject_bad_arguments_with_a_usage_error(params string[] args)
    {
        var ex = Assert.Throws<RunnerException>(() => CommandLine.Parse(args));
        Assert.Equal(RunnerExit.Usage, ex.Exit);
    }

    [Fact]
    public void Should_document_every_command_and_restore_option_in_help()
    {
        foreach (var word in CommandLine.Commands.Concat(["--snapshot", "--path", "--target", "--to-host", "--force"]))
            Assert.Contains(word, CommandLine.Usage);
    }

    [Fact]
    public async Task I_can_print_the_runners_version_without_a_job_configuration()
    {
        var stdout = new StringWriter();
        var code = await Program.RunAsync(["--version"], stdout, new Log(TextWriter.Null), CancellationToken.None);
        Assert.Equal(0, code);
        Assert.Matches(@"^manifestgen-runner \d+\.\d+\.\d+\S*\r?\n$", stdout.ToString());
    }

    [Fact]
    public async Task Should_exit_2_and_name_the_file_when_the_job_config_is_invalid()
    {
        using var dir = new Testing.TempDir();
        var file = dir.Write("job.json", "{\"version\": 1, \"kind\": \"backup\"}");
        var stderr = new StringWriter();
        var code = await Program.RunAsync(["backup", "--config", file], TextWriter.Null, new Log(stderr), CancellationToken.None);
        Assert.Equal(2, code);
        Assert.Contains(file, stderr.ToString());
    }
}

public sealed class RsyncStatsTests
{
    [Fact]
    public void I_can_read_bytes_sent_and_received_from_rsync_stats()
    {
        const string stats = "Number of files: 3\nTotal bytes sent: 1,234\nTotal bytes received: 98765\n";
        Assert.Equal(1234, RsyncTransfer.ParseStat(stats, "Total bytes sent"));
        Assert.Equal(98765, RsyncTransfer.ParseStat(stats, "Total bytes received"));
        Assert.Equal(0, RsyncTransfer.ParseStat(stats, "Literal data"));
    }

    [Fact]
    public void Should_name_files_whose_change_time_or_inode_moved_even_when_size_and_mtime_are_the_same()
    {
        // find's records, NUL-terminated, re-joined with a newline by line reading; a name may hold a space or a newline.
        var before = RsyncTransfer.ParseFileStates("11 10 1700000000.1000000000 1700000000.1000000000 /srv/a/db\0" +
            "\n12 5 1700000000.2000000000 1700000000.2000000000 /srv/a/x y\0" +
            "13 5 1700000000.3000000000 1700000000.3000000000 /srv/a/new\nline\0\n");
        Assert.Equal(["/srv/a/db", "/srv/a/new\nline", "/srv/a/x y"], before.Keys.Order(StringComparer.Ordinal).ToArray());
        var after = before
            .SetItem("/srv/a/db", before["/srv/a/db"] with { Changed = "1700000009.0000000000" })
            .SetItem("/srv/a/x y", before["/srv/a/x y"] with { Inode = "99" })
            .Add("/srv/a/added", new RsyncTransfer.FileState("14", "1", "1", "1"));
        Assert.Equal(["/srv/a/added", "/srv/a/db", "/srv/a/x y"], RsyncTransfer.MovedFiles(before, after).ToArray());
        Assert.Empty(RsyncTransfer.MovedFiles(before, before));
        Assert.Equal("find '/srv/it'\\''s' ! -type d -printf '%i %s %T@ %C@ %p\\0'", RemoteCommands.FileStates("/srv/it's/"));
    }

    [Fact]
    public void Should_map_host_paths_under_the_local_root()
    {
        Assert.Equal("/srv/app", LocalPaths.For("/", "/srv/app/"));
        Assert.Equal("/mnt/m/srv/app", LocalPaths.For("/mnt/m", "/srv/app"));
        Assert.Throws<RunnerException>(() => LocalPaths.For("/", "srv/app"));
    }

    [Fact]
    public void Should_build_the_tar_command_with_quoted_relative_paths()
    {
        var app = new AppConfig { Name = "a", Paths = ["/srv/my app", "/srv/it's"], Strategy = TransferStrategy.Tar, Excludes = ["*.tmp"] };
        Assert.Equal("'tar' '-cf' '-' '-C' '/' '--no-wildcards-match-slash' '--exclude=*.tmp' '--' 'srv/my app' 'srv/it'\\''s'", RemoteCommands.TarStream(app));
    }
}

public sealed class ReportingTests
{
    private static RunSummary Summary(Outcome o) => new()
    {
        Command = "backup", App = "a", Host = "h", Outcome = o, ExitCode = o == Outcome.Failure ? 1 : 0,
        DurationSeconds = 1.5, FilesNew = 2, BytesAdded = 100,
    };

    [Fact]
    public void Should_keep_the_previous_last_success_time_when_a_run_fails()
    {
        var failed = Notifier.RenderMetrics(Summary(Outcome.Failure), "app=\"a\"", 2000, "1000");
        Assert.Contains("manifestgen_last_success_timestamp_seconds{app=\"a\"} 1000\n", failed);
        Assert.Contains("manifestgen_last_run_success{app=\"a\"} 0\n", failed);
        var ok = Notifier.RenderMetrics(Summary(Outcome.Success), "app=\"a\"", 2000, "1000");
        Assert.Contains("manifestgen_last_success_timestamp_seconds{app=\"a\"} 2000\n", ok);
    }

    [Fact]
    public void Should_push_a_rendered_job_into_a_group_of_its_own_named_by_its_instance()
    {
        var prune = new RunSummary { Command = "maintain", Outcome = Outcome.Success, ExitCode = 0, DurationSeconds = 1 };
        Assert.Equal("/metrics/job/manifestgen/instance/restic-prune", Notifier.PushGroup(prune, "restic-prune"));
        Assert.Equal("command=\"maintain\",app=\"\",host=\"\",instance=\"restic-prune\"", Notifier.MetricLabels(prune, "restic-prune"));
        // A configuration without instances (written by hand) keeps the group of command, host and app.
        Assert.Equal("/metrics/job/manifestgen/command/backup/host/h/app/a", Notifier.PushGroup(Summary(Outcome.Success), null));
        Assert.Equal("command=\"backup\",app=\"a\",host=\"h\"", Notifier.MetricLabels(Summary(Outcome.Success), null));
    }

    [Fact]
    public async Task Should_run_without_pings_and_say_so_once_when_the_jobs_ping_url_file_is_missing()
    {
        var missing = Path.Combine(Path.GetTempPath(), "manifestgen-no-ping-" + Guid.NewGuid().ToString("N"), "url");
        var log = new StringWriter();
        using var http = Notifier.CreateHttpClient();
        var notifier = new Notifier(new ReportingConfig { PingUrlFile = missing }, new Log(log), http);
        Assert.Null(notifier.Problem());
        await notifier.StartAsync(CancellationToken.None);
        await notifier.FinishAsync(Summary(Outcome.Success), "backup-h-a", CancellationToken.None);
        Assert.Single(log.ToString().Split('\n'), l => l.Contains("no ping URL", StringComparison.Ordinal));
        Assert.Contains("has no key for this job", log.ToString());
    }

    [Theory]
    [InlineData("restic-maintain-kvm-prod-01", true)]
    [InlineData("backup-h-a.b", true)]
    [InlineData("restic/prune", false)]
    [InlineData("Backup-h", false)]
    [InlineData("-prune", false)]
    [InlineData("", false)]
    public void Should_accept_as_instance_only_a_job_name(string name, bool valid) =>
        Assert.Equal(valid, JobConfigRules.IsInstanceName(name));

    [Fact]
    public void Should_print_the_summary_as_one_json_line()
    {
        var line = Summary(Outcome.Warning).ToJsonLine();
        Assert.DoesNotContain('\n', line);
        Assert.Contains("\"outcome\":\"warning\"", line);
        Assert.Equal(Outcome.Warning, RunSummary.Parse(line).Outcome);
    }

    [Fact]
    public void Should_refuse_a_retention_policy_that_keeps_nothing() =>
        Assert.Throws<RunnerException>(() => RepositoryJobs.PolicyArgs(new RetentionGroup { Host = "h", App = "a", Policy = new RetentionPolicy() }));
}

public sealed class ShutdownBudgetTests
{
    [Theory]
    [InlineData(20)]
    [InlineData(120)]
    [InlineData(301)]
    public void Should_fit_every_shutdown_step_into_the_grace_period(int grace)
    {
        var b = ShutdownBudget.For(grace);
        // The budget spends the pod's own grace period, and the steps' own shares (not the margin, which is
        // defined as whatever they leave) each get time and together leave some for the process to exit.
        Assert.Equal(grace, b.GracePeriodSeconds);
        Assert.All(new[] { b.ResticInterruptSeconds, b.CleanupSeconds, b.ReportSeconds }, v => Assert.True(v > 0));
        Assert.True(b.ResticInterruptSeconds + b.CleanupSeconds + b.ReportSeconds < grace,
            $"restic {b.ResticInterruptSeconds} s + clean-up {b.CleanupSeconds} s + reporting {b.ReportSeconds} s leave nothing of {grace} s");
    }

    [Fact]
    public void Should_split_the_default_grace_period_as_its_documentation_says()
    {
        // JobConfig and docs/runner.md describe the 120 s default as 30 s restic, 60 s clean-up, 15 s reporting.
        var b = ShutdownBudget.For(ShutdownBudget.DefaultGracePeriodSeconds);
        Assert.Equal((120, 30, 60, 15, 15), (b.GracePeriodSeconds, b.ResticInterruptSeconds, b.CleanupSeconds, b.ReportSeconds, b.MarginSeconds));
    }

    [Fact]
    public void Should_raise_a_grace_period_below_the_minimum_to_the_minimum()
    {
        var b = ShutdownBudget.For(ShutdownBudget.MinimumGracePeriodSeconds - 5);
        Assert.Equal(ShutdownBudget.MinimumGracePeriodSeconds, b.GracePeriodSeconds);
        Assert.True(b.ResticInterruptSeconds + b.CleanupSeconds + b.ReportSeconds < b.GracePeriodSeconds);
    }

    [Fact]
    public void Should_render_the_contracts_grace_period_into_every_runner_pod_and_its_job_configuration()
    {
        var root = RepoPaths.Root;
        var cronJobs = Directory.GetFiles(Path.Combine(root, "out"), "*.yaml", SearchOption.AllDirectories)
            .Select(File.ReadAllText).Where(t => t.Contains("kind: CronJob", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(cronJobs);
        Assert.All(cronJobs, t => Assert.Contains($"terminationGracePeriodSeconds: {ShutdownBudget.DefaultGracePeriodSeconds}\n", t));
        var configs = Directory.GetFiles(Path.Combine(root, "out"), "*.yaml", SearchOption.AllDirectories)
            .Select(File.ReadAllText).Where(t => t.Contains("job.json", StringComparison.Ordinal) && t.Contains("kind: ConfigMap", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(configs);
        Assert.All(configs, t => Assert.Contains($"\"terminationGracePeriodSeconds\": {ShutdownBudget.DefaultGracePeriodSeconds}", t));
    }
}

public sealed class ExcludeTests
{
    [Fact]
    public void Should_anchor_absolute_patterns_at_rsyncs_transfer_root_and_drop_those_outside_it()
    {
        Assert.Equal(["--exclude=/app/logs", "--exclude=*.tmp"],
            Excludes.ForRsync("/srv/app", ["/srv/app/logs", "*.tmp", "/var/other"]).ToArray());
        Assert.Equal(["--exclude=/srv/app/logs"], Excludes.ForRsync("/srv", ["/srv/app/logs"]).ToArray());
    }

    [Fact]
    public void Should_anchor_absolute_patterns_for_tar_without_the_leading_slash() =>
        Assert.Equal(["--no-wildcards-match-slash", "--exclude=*.tmp", "--anchored", "--exclude=srv/app/logs"],
            Excludes.ForTar(["/srv/app/logs", "*.tmp"]).ToArray());

    [Theory]
    [InlineData("/srv/a[1].txt", "/srv/a\\[1\\].txt")]
    [InlineData("/srv/a*?.txt", "/srv/a\\*\\?.txt")]
    [InlineData("/srv/plain", "/srv/plain")]
    public void Should_escape_glob_characters_of_a_literal_restore_path(string path, string expected) =>
        Assert.Equal(expected, Excludes.LiteralPattern(path));
}

public sealed class ProcessRunnerTests
{
    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 1)..].TrimStart()[0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Should_end_what_an_interrupted_command_started_also_when_the_command_itself_ends_on_its_interrupt()
    {
        using var dir = new TempDir("mgtest-tree-");
        var pidFile = Path.Combine(dir.Path, "pid");
        // sh ends on SIGTERM at once; the sleep it started would live on under init, out of reach of a kill of sh's
        // tree, and hold sh's output open: before, the interrupted run waited for the sleep to end.
        using var cancel = new CancellationTokenSource();
        var run = Processes.ProcessRunner.RunAsync(new Processes.ProcessSpec("sh", ["-c", "sleep 3600 & echo $! > \"$1\"; wait", "sh", pidFile])
        {
            Timeout = Patience.Progress,
            InterruptSignal = Processes.Signals.SIGTERM,
            InterruptGrace = TimeSpan.FromSeconds(1),
        }, cancel.Token);
        Assert.True(await HostState.EventuallyAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), Patience.Progress));
        var sleeper = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Alive(sleeper));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Patience.Command));
        Assert.True(await HostState.EventuallyAsync(() => !Alive(sleeper), Patience.Command), $"the sleep the command started ({sleeper}) outlived it");
    }
}
