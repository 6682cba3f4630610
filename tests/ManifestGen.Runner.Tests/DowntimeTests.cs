using ManifestGen.Contracts;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// What the services' stop covers. The host's sessions find a recording <c>rsync</c> and <c>find</c> first on
/// their PATH (its own sshd: a class fixture, so no other test sees them); they append to the compose
/// stand-in's call log, so one file holds every compose call, rsync pass and change listing in the order
/// the host saw them. Assertions are on that order, never on wall-clock figures.
/// </summary>
public sealed class DowntimeTests(RealHost host) : IClassFixture<RealHost>, IDisposable
{
    private readonly List<string> _wrappers = [];

    /// <summary>A compose folder outside the app's paths (its call log must not be part of the copy) with db running.</summary>
    private static string ComposeFolder(Scenario s)
    {
        var dir = s.Dir.Combine("compose");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, ".running"), "db\n");
        return dir;
    }

    /// <summary>Puts a program on the sessions' PATH that records its arguments in <paramref name="log"/>, then runs the real one.</summary>
    private void Record(string program, string log, string prelude = "")
    {
        var real = new[] { "/usr/bin/" + program, "/bin/" + program }.First(File.Exists);
        var path = Path.Combine(host.HostBin, program);
        File.WriteAllText(path, $"#!/bin/sh\necho \"{program} $*\" >> '{log}'\n{prelude}exec {real} \"$@\"\n");
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
        _wrappers.Add(path);
    }

    public void Dispose()
    {
        foreach (var w in _wrappers) File.Delete(w);
    }

    private static string[] Events(string composeDir) =>
        [.. File.ReadAllLines(Path.Combine(composeDir, ".calls")).Where(l => !l.StartsWith("compose ps", StringComparison.Ordinal))];

    /// <summary>The short options of an rsync server line (before the capability suffix "e.…").</summary>
    private static string ServerFlags(string line) =>
        line.Split(' ').First(w => w.StartsWith('-') && !w.StartsWith("--", StringComparison.Ordinal)).Split('e')[0];

    [Fact]
    public async Task Should_stop_the_services_only_for_a_second_rsync_pass_after_a_live_pass_that_carries_the_checksum_comparison()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = HostState.UniqueApp("downtime");
        s.CreateApp(app, dataFiles: 3);
        var compose = ComposeFolder(s);
        var log = Path.Combine(compose, ".calls");
        // A first run fills the mirror (an empty mirror fetches every file whole, with no comparison by content).
        var first = await s.RunAsync(s.Backup(s.App(app)), "backup");
        Assert.True(first.ExitCode == 0, first.ToString());
        Record("rsync", log);
        Record("find", log);
        // The comparison by content is due at every run (interval 0).
        var config = s.Backup(s.App(app) with { ChecksumIntervalDays = 0, Hooks = new HooksConfig { StopServices = ["db"], ComposeDirectory = compose } });

        var r = await s.RunAsync(config, "backup");
        Assert.True(r.ExitCode == 0, r.ToString());
        var events = Events(compose);
        var stop = Array.IndexOf(events, "compose stop db");
        var start = Array.IndexOf(events, "compose start db");
        Assert.True(stop >= 0 && start > stop, string.Join('\n', events));
        var before = events[..stop].Where(e => e.StartsWith("rsync ", StringComparison.Ordinal)).ToArray();
        var during = events[(stop + 1)..start];
        var duringRsync = during.Where(e => e.StartsWith("rsync ", StringComparison.Ordinal)).ToArray();
        // One live pass while db runs, and it is the pass that compares by content.
        Assert.True(before.Length == 1, string.Join('\n', events));
        Assert.Contains('c', ServerFlags(before[0]));
        // Stopped: the listing, one pass by the quick check (nothing changed, so no third), the listing.
        Assert.True(duringRsync.Length == 1, string.Join('\n', events));
        Assert.DoesNotContain('c', ServerFlags(duringRsync[0]));
        Assert.Equal(["find", "rsync", "find"], during.Select(e => e.Split(' ')[0]).ToArray());
        Assert.DoesNotContain(events[(start + 1)..], e => e.StartsWith("rsync ", StringComparison.Ordinal));
        Assert.NotNull(r.Summary.ServicesStoppedSeconds);
        Assert.NotNull(r.Summary.SnapshotId);
        Assert.True(FaultTests.Running(compose, "db"));
    }

    [Fact]
    public async Task Should_copy_a_file_changed_during_the_stop_in_a_third_stopped_pass_decided_by_the_change_listing()
    {
        await using var s = await Scenario.CreateAsync(host);
        var app = HostState.UniqueApp("third");
        var dir = s.CreateApp(app, dataFiles: 2);
        var compose = ComposeFolder(s);
        var log = Path.Combine(compose, ".calls");
        var file = Path.Combine(dir, "app.conf");
        // Something outside compose rewrites the file during the stop, between the listing before the
        // stopped pass and the one after it (when that pass starts), keeping its size and mtime: only the
        // listings can tell, and they decide that a third pass runs.
        var reference = s.Dir.Combine("ref");
        Record("rsync", log,
            $"if [ \"$(grep -c '^rsync ' '{log}')\" -eq 2 ]; then touch -r '{file}' '{reference}'; " +
            $"printf 'name = CHANGED\\nport = 8080\\n' > '{file}.new'; truncate -s \"$(stat -c %s '{file}')\" '{file}.new'; " +
            $"cat '{file}.new' > '{file}'; rm '{file}.new'; touch -r '{reference}' '{file}'; fi\n");
        var config = s.Backup(s.App(app) with { Hooks = new HooksConfig { StopServices = ["db"], ComposeDirectory = compose } });

        var r = await s.RunAsync(config, "backup");
        Assert.True(r.ExitCode == 0, r.ToString());
        var events = Events(compose);
        var stop = Array.IndexOf(events, "compose stop db");
        var start = Array.IndexOf(events, "compose start db");
        var duringRsync = events[(stop + 1)..start].Count(e => e.StartsWith("rsync ", StringComparison.Ordinal));
        Assert.True(duringRsync >= 2, string.Join('\n', events));
        Assert.Contains("name = CHANGED", await s.Repo.CheckedAsync("dump", r.Summary.SnapshotId!, file));
    }
}
