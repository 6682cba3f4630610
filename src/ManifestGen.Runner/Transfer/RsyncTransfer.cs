using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using ManifestGen.Contracts;
using ManifestGen.Runner.Processes;
using ManifestGen.Runner.Remote;
using ManifestGen.Runner.Reporting;

namespace ManifestGen.Runner.Transfer;

/// <summary>
/// Pulls each app path into the persistent mirror with rsync. Unchanged files keep their inode, so the
/// following restic backup skips them by metadata; a changed file is rewritten (new inode) and read.
/// Arguments go over the rsync protocol (--secluded-args), never through the remote shell; on a gated
/// host they go on rsync's server command line instead, where the gate checks the path (the gate runs
/// rsync without a shell, and the generator allows only paths that need no quoting there).
/// </summary>
public static partial class RsyncTransfer
{
    public sealed record Result(long BytesOverWire, ImmutableArray<string> Warnings);

    /// <summary>
    /// Arguments of every transfer, pull and push. <c>--fake-super</c> acts on the local side only: as the
    /// receiver (backup) it keeps the host's owners, modes, devices and privileged xattrs in
    /// <c>user.rsync.*</c> xattrs of the mirror instead of needing root; restic stores and restores those
    /// xattrs; as the sender (restore) it reads them back, so the host's root receiver gets its real owners.
    /// </summary>
    public static ImmutableArray<string> BaseArgs(SshSession ssh, bool compress, int? bandwidthLimitKiBps = null)
    {
        var args = ImmutableArray.CreateBuilder<string>();
        // --fake-super applies to this side only (rsync does not pass it to the remote end).
        args.AddRange("-aHAX", "--numeric-ids", "--fake-super");
        if (!ssh.Host.Gated) args.Add("--secluded-args");
        args.AddRange("--stats", "--no-human-readable", "--info=progress2", "-e", ssh.RsyncShell);
        if (compress) args.AddRange("--compress", "--compress-choice=zstd");
        // rsync's unit is KiB/s; the sender (the host, on a pull) paces what it writes to the connection.
        if (bandwidthLimitKiBps is { } limit) args.Add("--bwlimit=" + limit.ToString(CultureInfo.InvariantCulture));
        return args.ToImmutable();
    }

    /// <summary>
    /// Pulls every app path; with <paramref name="checksum"/> the first pass compares every file by
    /// content. Then bounded verification passes re-copy files that changed while they were read, so none
    /// is kept torn silently: rsync's quick check (size and mtime to the nanosecond) finds most, and the
    /// host's file states before and after each pass (inode and change time too) find a file whose
    /// writer put its size and mtime back.
    /// </summary>
    /// <remarks>
    /// With <paramref name="servicesStopped"/> nothing on the host writes during the passes, so the listings
    /// alone decide whether another pass is needed: a pass after which nothing moved is the last, and the
    /// stop covers one rsync pass and two listings when nothing changed.
    /// </remarks>
    public static async Task<Result> PullAsync(SshSession ssh, AppConfig app, Log log, bool checksum, bool servicesStopped, CancellationToken ct)
    {
        long wire = 0;
        var warnings = ImmutableArray.CreateBuilder<string>();
        foreach (var hostPath in app.Paths)
        {
            if (checksum) log.Info($"rsync of {hostPath}: comparing every file by checksum (every {app.ChecksumIntervalDays.ToString(CultureInfo.InvariantCulture)} days)");
            var changed = ImmutableArray<string>.Empty;
            // The host's file states before a pass; compared with those after it, they name the files that
            // changed while the pass copied them, including those whose size and mtime were put back.
            // A listing that fails (host cut off, path gone) lets rsync run and report the cause itself; a
            // copy without both listings is still refused, since a change during it could not be ruled out.
            var (before, whyNot) = await FileStatesAsync(ssh, hostPath, log, ct);
            for (var pass = 0; pass <= app.ChangedFileRecopies; pass++)
            {
                var verify = pass > 0;
                var moved = ImmutableArray<string>.Empty;
                if (verify)
                {
                    var (after, whyNotAfter) = await FileStatesAsync(ssh, hostPath, log, ct);
                    if (after is null) throw NotListed(hostPath, "after", whyNotAfter);
                    moved = MovedFiles(before!, after);
                    before = after;
                    if (servicesStopped && moved.IsEmpty)
                    {
                        changed = [];
                        break;
                    }
                    // rsync's quick check would keep these (same size and mtime): remove the mirror's copy so
                    // this pass fetches them whole again.
                    foreach (var f in moved) RemoveMirrorCopy(LocalPaths.For(app.LocalRoot, f));
                }
                var r = await PassAsync(ssh, app, hostPath, checksum, verify, log, warnings, ct);
                wire += r.Wire;
                if (before is null) throw NotListed(hostPath, "before", whyNot);
                if (!verify) continue;
                changed = [.. ItemizedFiles(r.Result.Stdout, Path.GetDirectoryName(hostPath.TrimEnd('/'))?.Replace('\\', '/') ?? "/")
                    .Union(moved, StringComparer.Ordinal).Order(StringComparer.Ordinal)];
                if (changed.IsEmpty) break;
                log.Warn($"rsync of {hostPath}: {changed.Length.ToString(CultureInfo.InvariantCulture)} file(s) changed while they were copied, copied again (pass {pass.ToString(CultureInfo.InvariantCulture)}): {string.Join(", ", changed.Take(10))}");
            }
            if (!changed.IsEmpty)
            {
                var message = $"{changed.Length.ToString(CultureInfo.InvariantCulture)} file(s) of {hostPath} kept changing during the transfer " +
                    $"({app.ChangedFileRecopies.ToString(CultureInfo.InvariantCulture)} re-copies); the mirror may hold them torn: " +
                    string.Join(", ", changed.Take(20)) + (changed.Length > 20 ? $" and {changed.Length - 20} more" : "");
                if (app.ChangedFileIsFailure) throw new RunnerException(RunnerExit.Failure, message);
                log.Warn(message);
                warnings.Add(message);
            }
        }
        return new Result(wire, warnings.ToImmutable());
    }

    /// <summary>
    /// The pass while the services still run: one rsync per path (with <paramref name="checksum"/> the periodic
    /// comparison by content), no listings and no verification, since files may change throughout. It
    /// brings the mirror close, so the pass under the stop moves only what changed since.
    /// </summary>
    public static async Task<Result> LivePassAsync(SshSession ssh, AppConfig app, Log log, bool checksum, CancellationToken ct)
    {
        long wire = 0;
        var warnings = ImmutableArray.CreateBuilder<string>();
        foreach (var hostPath in app.Paths)
        {
            if (checksum) log.Info($"rsync of {hostPath}: comparing every file by checksum (every {app.ChecksumIntervalDays.ToString(CultureInfo.InvariantCulture)} days), services running");
            wire += (await PassAsync(ssh, app, hostPath, checksum, verify: false, log, warnings, ct)).Wire;
        }
        return new Result(wire, warnings.ToImmutable());
    }

    /// <summary>One rsync pass of one path into the mirror; exit 24 (files vanished) is a warning, other failures throw.</summary>
    private static async Task<(ProcessResult Result, long Wire)> PassAsync(
        SshSession ssh, AppConfig app, string hostPath, bool checksum, bool verify, Log log, ImmutableArray<string>.Builder warnings, CancellationToken ct)
    {
        var r = await RunAsync(PassArgs(ssh, app, hostPath, checksum, verify), log, ct, StallBound(app));
        if (r.Result.ExitCode == 24)
        {
            var w = $"rsync: some files of {hostPath} vanished during the transfer (exit 24)";
            log.Warn(w);
            if (!warnings.Contains(w)) warnings.Add(w);
        }
        else if (!r.Result.Succeeded) throw Failure(ssh, r.Result, hostPath, log);
        return r;
    }

    private static ImmutableArray<string> PassArgs(SshSession ssh, AppConfig app, string hostPath, bool checksum, bool verify)
    {
        var parent = Path.GetDirectoryName(LocalPaths.For(app.LocalRoot, hostPath)) ?? "/";
        Directory.CreateDirectory(parent);
        var args = BaseArgs(ssh, app.CompressTransfer, BandwidthLimitKiBps(ssh.Host, app)).ToBuilder();
        // rsync's own --timeout ends a transfer whose connection went quiet both ways; a frozen sender
        // behind a live connection is the runner's watchdog's (StallBound).
        args.AddRange("--delete", "--timeout=" + app.TransferTimeoutSeconds.ToString(CultureInfo.InvariantCulture));
        if (checksum && !verify) args.Add("--checksum");
        // Verification compares modification times to the nanosecond (rsync's default is whole seconds,
        // which misses a file rewritten within the second of its copy); a receiver-side option, not
        // sent to the host's rsync.
        if (verify) args.AddRange("--info=progress0", "--itemize-changes", "--modify-window=-1");
        args.AddRange(Excludes.ForRsync(hostPath, app.Excludes));
        args.Add(SshSession.Alias + ":" + hostPath.TrimEnd('/'));
        args.Add(parent.TrimEnd('/') + "/");
        return args.ToImmutable();
    }

    /// <summary>One host file's identity and times, as <see cref="RemoteCommands.FileStates"/> prints them.</summary>
    public sealed record FileState(string Inode, string Size, string Modified, string Changed);

    /// <summary>
    /// The host's non-directories below <paramref name="hostPath"/> with their state (one SSH round trip),
    /// or null and why not.
    /// </summary>
    public static async Task<(ImmutableDictionary<string, FileState>? States, string? WhyNot)> FileStatesAsync(
        SshSession ssh, string hostPath, Log log, CancellationToken ct)
    {
        var r = await ssh.RequestAsync(RemoteCommands.FileStates(hostPath), $"listing the file states of {hostPath}", log, ct);
        // find exits 1 when it could not read some folders and still lists the rest; rsync reports those itself.
        if (r.ExitCode == 255 || r.TimedOut || (!r.Succeeded && r.Stdout.Length == 0))
        {
            var why = ssh.DescribeFailure(r);
            log.Warn($"listing the file states of {hostPath} failed: {why}");
            return (null, why);
        }
        if (!r.Succeeded) log.Warn($"listing the file states of {hostPath}: {SshSession.LastLine(r.Stderr)}");
        return (ParseFileStates(r.Stdout), null);
    }

    private static RunnerException NotListed(string hostPath, string when, string? why) =>
        new(RunnerExit.Failure, $"rsync of {hostPath}: the host's file states could not be listed {when} the copy, " +
            $"so a change during it cannot be ruled out: {why}");

    /// <summary>Parses NUL-terminated "INODE SIZE MTIME CTIME PATH" records; a path may hold spaces and newlines.</summary>
    public static ImmutableDictionary<string, FileState> ParseFileStates(string stdout)
    {
        var states = ImmutableDictionary.CreateBuilder<string, FileState>(StringComparer.Ordinal);
        // Line reading re-joined the output with '\n' and may end it with one; records end with NUL.
        var text = stdout.EndsWith('\n') ? stdout[..^1] : stdout;
        foreach (var record in text.Split('\0'))
        {
            var f = record.TrimStart('\n').Split(' ', 5);
            if (f.Length == 5 && f[4].StartsWith('/')) states[f[4]] = new FileState(f[0], f[1], f[2], f[3]);
        }
        return states.ToImmutable();
    }

    /// <summary>Files present after a pass whose inode, size, modification or change time differ from before it (or that are new).</summary>
    public static ImmutableArray<string> MovedFiles(ImmutableDictionary<string, FileState> before, ImmutableDictionary<string, FileState> after) =>
        [.. after.Where(a => !before.TryGetValue(a.Key, out var b) || b != a.Value).Select(a => a.Key).Order(StringComparer.Ordinal)];

    private static void RemoveMirrorCopy(string local)
    {
        // Only the mirror's own files: a path that is not there (excluded, or not yet copied) is left alone.
        var info = new FileInfo(local);
        if (info.Exists || info.LinkTarget is not null) info.Delete();
    }

    /// <summary>Host paths of the regular files an --itemize-changes pass transferred (">f..." lines).</summary>
    public static ImmutableArray<string> ItemizedFiles(string stdout, string transferRoot)
    {
        var prefix = transferRoot.TrimEnd('/') + "/";
        return [.. stdout.Split('\n')
            .Select(l => l.TrimEnd('\r'))
            .Where(l => l.Length > 12 && l.StartsWith(">f", StringComparison.Ordinal) && l[11] == ' ')
            .Select(l => prefix + l[12..])];
    }

    /// <summary>
    /// Mirror files whose status changed after the last complete pull (<paramref name="stampFile"/>'s mtime,
    /// written when that pull ended): nothing of the runner writes the mirror between runs, so such a file
    /// was damaged or replaced there, also when its size and mtime were kept (the rsync quick check would keep
    /// it, restic would store it as changed). Their mirror copies are removed, so the next pass fetches them
    /// whole from the host before any snapshot is taken; returns their host paths. Nothing without a stamp
    /// (the first run). The stamp lives on the mirror's volume, so both times come from one clock.
    /// </summary>
    public static async Task<ImmutableArray<string>> RemoveMirrorFilesChangedSinceAsync(AppConfig app, string stampFile, Log log, CancellationToken ct)
    {
        if (!File.Exists(stampFile)) return [];
        var locals = app.Paths.Select(p => LocalPaths.For(app.LocalRoot, p)).Where(Path.Exists).ToList();
        if (locals.Count == 0) return [];
        // find reads the paths as operands: "--" is not find's, so each local path is absolute (it starts with /).
        var r = await ProcessRunner.RunAsync(new ProcessSpec("find", [.. locals, "!", "-type", "d", "-cnewer", stampFile, "-print0"])
        {
            InterruptSignal = Signals.SIGTERM,
            InterruptGrace = TimeSpan.FromSeconds(5),
        }, ct);
        if (!r.Succeeded)
        {
            log.Warn($"could not look for mirror files changed since the last run (find exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)}): {SshSession.LastLine(r.Stderr)}");
            return [];
        }
        var found = r.Stdout.TrimEnd('\n').Split('\0', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToImmutableArray();
        foreach (var f in found) RemoveMirrorCopy(f);
        var root = app.LocalRoot == "/" ? "" : app.LocalRoot.TrimEnd('/');
        return [.. found.Select(f => root.Length > 0 && f.StartsWith(root + "/", StringComparison.Ordinal) ? f[root.Length..] : f)];
    }

    /// <summary>Records the end of a complete pull: its mtime is the reference of <see cref="RemoveMirrorFilesChangedSinceAsync"/>.</summary>
    public static void WriteMirrorStamp(string stampFile)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(stampFile)!);
        File.WriteAllText(stampFile + ".tmp", "");
        File.Move(stampFile + ".tmp", stampFile, overwrite: true);
    }

    /// <summary>Whether the mirror holds nothing of the app yet: none of its paths has a file or folder there.</summary>
    public static bool MirrorIsEmpty(AppConfig app) =>
        app.Paths.Select(p => LocalPaths.For(app.LocalRoot, p)).All(local =>
            Directory.Exists(local) ? !Directory.EnumerateFileSystemEntries(local).Any() : !Path.Exists(local));

    /// <summary>Whether the periodic checksum pass is due, by the stamp the last one left.</summary>
    public static bool ChecksumDue(string stampFile, int intervalDays, DateTimeOffset now)
    {
        if (intervalDays <= 0) return true;
        try
        {
            var last = DateTimeOffset.Parse(File.ReadAllText(stampFile).Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            return now - last >= TimeSpan.FromDays(intervalDays);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return true;
        }
    }

    public static void WriteChecksumStamp(string stampFile, DateTimeOffset now)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(stampFile)!);
        File.WriteAllText(stampFile + ".tmp", now.ToString("O", CultureInfo.InvariantCulture) + "\n");
        File.Move(stampFile + ".tmp", stampFile, overwrite: true);
    }

    /// <summary>
    /// The bound on a frozen transfer: <c>app.transferTimeoutSeconds</c> without a byte from the host. rsync's
    /// own --timeout cannot see a frozen sender: the receiving side never times out and the generator counts
    /// its own keep-alives, written into the connection's buffers, as progress; ssh's keep-alives are
    /// answered by sshd, which is not frozen.
    /// </summary>
    public static Bound StallBound(AppConfig app) => new("app.transferTimeoutSeconds", app.TransferTimeoutSeconds);

    /// <summary>The app's bandwidth limit, else its host's (KiB/s), or null for none.</summary>
    public static int? BandwidthLimitKiBps(HostConfig host, AppConfig app) => app.BandwidthLimitKiBps ?? host.BandwidthLimitKiBps;

    internal static RunnerException Failure(SshSession ssh, ProcessResult r, string what, Log log, bool push = false)
    {
        if (r.Fired is { } bound)
            return log.BoundFired(bound, $"rsync of {what}", push
                ? $"the host took no data for {bound.Seconds.ToString(CultureInfo.InvariantCulture)} s (a frozen receiver)"
                : $"no data arrived from the host for {bound.Seconds.ToString(CultureInfo.InvariantCulture)} s (a frozen sender)");
        if (r.TimedOut) return new RunnerException(RunnerExit.Failure, $"rsync of {what} timed out");
        // rsync reports an ssh failure as 255 (or 12 when the connection closed during setup).
        if (r.ExitCode is 255 or 12 && r.Stderr.Contains("Host key", StringComparison.OrdinalIgnoreCase))
            return new RunnerException(RunnerExit.Failure, ssh.DescribeFailure(r));
        return new RunnerException(RunnerExit.Failure,
            $"rsync of {what} failed (exit {r.ExitCode.ToString(CultureInfo.InvariantCulture)}): {SshSession.LastLine(r.Stderr)}");
    }

    /// <param name="progress">
    /// What the watchdog of <paramref name="stall"/> reads: by default the bytes rsync's receiver (the child of a
    /// pull) has read; a push passes <see cref="ProcessTree.BytesRead"/> of the local sender, which reads the
    /// files it sends and the host's requests, and blocks on both when the host's receiver freezes.
    /// </param>
    internal static async Task<(ProcessResult Result, long Wire)> RunAsync(ImmutableArray<string> args, Log log, CancellationToken ct, Bound? stall = null,
        Func<int, long?>? progress = null)
    {
        var lastProgress = DateTime.MinValue;
        var spec = new ProcessSpec("rsync", args)
        {
            InterruptSignal = Signals.SIGTERM,
            InterruptGrace = TimeSpan.FromSeconds(10),
            OnStdoutLine = line =>
            {
                // --info=progress2 rewrites one line with \r; report it every few seconds only.
                if (line.Contains('%') && DateTime.UtcNow - lastProgress > TimeSpan.FromSeconds(5))
                {
                    lastProgress = DateTime.UtcNow;
                    log.Output("rsync", line.Trim());
                }
            },
            OnStderrLine = line => log.Output("rsync", line),
            Watchdogs = stall is null ? [] : [new Watchdog(stall, progress ?? ProcessTree.RsyncReceiverBytesRead)],
        };
        var r = await ProcessRunner.RunAsync(spec, ct);
        var wire = ParseStat(r.Stdout, "Total bytes sent") + ParseStat(r.Stdout, "Total bytes received");
        if (r.Succeeded)
            log.Info($"rsync: {wire.ToString(CultureInfo.InvariantCulture)} bytes over the wire in {r.Duration.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");
        return (r, wire);
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z ]+):\s*(?<value>[\d,.]+)", RegexOptions.Multiline)]
    private static partial Regex StatLine();

    /// <summary>Reads one --stats figure; digits only, so thousands separators of any locale are ignored.</summary>
    public static long ParseStat(string stdout, string name)
    {
        foreach (Match m in StatLine().Matches(stdout))
        {
            if (m.Groups["name"].Value.Trim() != name) continue;
            var digits = new string(m.Groups["value"].Value.Where(char.IsAsciiDigit).ToArray());
            return digits.Length == 0 ? 0 : long.Parse(digits, CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
