using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ManifestGen.Contracts;

/// <summary>
/// Every command line the runner itself sends to the host's shell, built here and nowhere else, so the
/// host gate's allow-list (<see cref="GateAllowList"/>, rendered by the generator) lists exactly what the
/// runner may ask for. Hooks and dumps are the inventory's own
/// command lines and are passed through unchanged; rsync and sshfs speak their own protocols (rsync
/// --server, the sftp subsystem) and send no shell command line of the runner's.
///
/// Dead man's switch: before services are stopped, <see cref="DeadMansSwitchArm"/> leaves a marker on
/// the host (which services, stopped by which run, and the command that starts them) and a timer that
/// runs that command after a delay, whatever happens to the pod. <see cref="DeadMansSwitchDisarm"/>
/// cancels the timer once the runner has started the services itself; <see cref="DeadMansSwitchRecover"/>
/// lets the next run start services a previous run left stopped.
/// </summary>
public static partial class RemoteCommands
{
    /// <summary>Where markers live on the host, below the SSH user's home directory.</summary>
    public const string StateDirectory = ".local/state/manifestgen";

    /// <summary>Prints the NUL-terminated names of the given paths that do not exist.</summary>
    public static string MissingPaths(IEnumerable<string> paths) =>
        "for p in " + ShellQuote.Join(paths) + "; do [ -e \"$p\" ] || [ -L \"$p\" ] || printf '%s\\0' \"$p\"; done";

    /// <summary>
    /// For each path that is a regular file (not a link): "SIZE MTIME" and the path, each NUL-terminated.
    /// The restore drill asks this; the host gate answers it for files below the app's paths only.
    /// </summary>
    public static string FileMetadata(IEnumerable<string> paths) =>
        "for p in " + ShellQuote.Join(paths) + "; do [ -f \"$p\" ] && [ ! -L \"$p\" ] && printf '%s\\0%s\\0' \"$(stat -c '%s %Y' -- \"$p\")\" \"$p\"; done; true";

    /// <summary>For each readable path: its SHA-256 (hex) and the path, each NUL-terminated (the restore drill's comparison).</summary>
    public static string FileHashes(IEnumerable<string> paths) =>
        "for p in " + ShellQuote.Join(paths) + "; do h=$(sha256sum < \"$p\") && printf '%s\\0%s\\0' \"${h%% *}\" \"$p\"; done; true";

    /// <summary>
    /// Behind the gate, the first request of every run: the version of the allow-list the job was rendered
    /// with (<see cref="GateAllowList.VersionOf"/>). The gate answers with its own and refuses a mismatch,
    /// so a job never meets an allow-list of another commit half-way through (after its hooks ran).
    /// </summary>
    public static string AllowListVersion(string version) => AllowListVersionWord + " " + version;

    /// <summary>The word of <see cref="AllowListVersion"/>.</summary>
    public const string AllowListVersionWord = "manifestgen-allow-list";

    /// <summary>The first word of the dead man's switch requests the host gate runs itself (gated hosts).</summary>
    public const string GateSwitch = "manifestgen-switch";

    /// <summary>
    /// The coverage job's one request to a gated host (no arguments): the host's compose projects, their
    /// services, images, mounts and running state as one JSON line (<c>discover</c> in the backup allow-list).
    /// </summary>
    public const string Discover = "manifestgen-discover";

    /// <summary>
    /// Behind the gate: the gate writes the marker and arms the timer itself, for an app of its allow-list,
    /// services of that app's compose entries, and a delay within the bound the allow-list states
    /// (<see cref="JobConfig.PodLifetimeBoundSeconds"/>). Plain words only, nothing for a shell.
    /// </summary>
    public static string GateSwitchArm(string app, int delaySeconds, IEnumerable<string> services) =>
        string.Join(' ', [GateSwitch, "arm", app, delaySeconds.ToString(CultureInfo.InvariantCulture), .. services]);

    /// <summary>
    /// Behind the gate: the heartbeat. The gate re-arms the app's timer for SECONDS (within the allow-list's
    /// delay) while the marker of the armed run is there, never past the allow-list's total bound from the
    /// stop, and prints the mechanism and the seconds it armed.
    /// </summary>
    public static string GateSwitchRenew(string app, int delaySeconds) =>
        GateSwitch + " renew " + app + " " + delaySeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>Behind the gate: cancel the app's timer and remove its marker.</summary>
    public static string GateSwitchCancel(string app) => GateSwitch + " cancel " + app;

    /// <summary>Behind the gate: print the app's marker, in the form <see cref="MarkerServices"/> reads (nothing when there is none).</summary>
    public static string GateSwitchMarker(string app) => GateSwitch + " marker " + app;

    /// <summary>Behind the gate: start the services the app's marker names (those of its allow-list only), then cancel.</summary>
    public static string GateSwitchRecover(string app) => GateSwitch + " recover " + app;

    /// <summary>
    /// Lists every non-directory below a host path, NUL-terminated: inode, size, modification and change
    /// time (seconds with nanoseconds) and path. Taken before and after each rsync pass: a file whose change
    /// time or inode moved while it was copied is copied again, also when its writer restored size and
    /// modification time (touch -r, cp -p, some databases), which rsync's quick check cannot see. One fixed
    /// line per app path, so the host gate's allow-list lists it exactly.
    /// </summary>
    public static string FileStates(string hostPath) =>
        "find " + ShellQuote.Quote(hostPath.TrimEnd('/') is { Length: > 0 } p ? p : "/") + " ! -type d -printf '%i %s %T@ %C@ %p\\0'";

    private static string Compose(string directory, string verb, IEnumerable<string> services) =>
        "cd " + ShellQuote.Quote(directory) + " && docker compose " + verb + (services.Any() ? " " + ShellQuote.Join(services) : "");

    /// <summary>The default of <c>hooks.composeTimeoutSeconds</c>: how long one compose command (list running services, stop, start) or one request of the dead man's switch may take on the host.</summary>
    public const int ComposeTimeoutSeconds = 300;

    /// <summary>`docker compose ps --services --status running` in the compose directory.</summary>
    public static string ComposeRunning(string directory) => Compose(directory, "ps --services --status running", []);

    public static string ComposeStop(string directory, IEnumerable<string> services) => Compose(directory, "stop", services);

    public static string ComposeStart(string directory, IEnumerable<string> services) => Compose(directory, "start", services);

    /// <summary>The tar stream: paths relative to / so the archive holds the host's layout.</summary>
    public static string TarStream(AppConfig app)
    {
        var words = new List<string> { "tar", "-cf", "-", "-C", "/" };
        words.AddRange(Excludes.ForTar(app.Excludes));
        words.Add("--");
        words.AddRange(app.Paths.Select(p => p.TrimStart('/') is { Length: > 0 } rel ? rel : "."));
        return ShellQuote.Join(words);
    }

    /// <summary>
    /// Every fixed command line a backup of <paramref name="app"/> sends: hooks and dumps (the inventory's
    /// own lines, unchanged), the tar stream and rsync's file-state listings. The path check and compose vary with the run (which
    /// services are running); the gate matches those by shape against the allow-list's paths and services.
    /// </summary>
    public static IReadOnlyList<string> FixedBackupCommands(AppConfig app) =>
    [
        .. app.Hooks.Before.Select(h => h.Run),
        .. app.Hooks.After.Select(h => h.Run),
        .. app.Hooks.Dumps.Select(d => d.Command),
        .. ReadOnlyBackupCommands(app),
    ];

    /// <summary>The fixed lines that only read the app's files (the tar stream, the file-state listings): the gate runs them in the app's read-only sandbox.</summary>
    public static IReadOnlyList<string> ReadOnlyBackupCommands(AppConfig app) =>
    [
        .. app.Strategy == TransferStrategy.Tar ? [TarStream(app)] : Array.Empty<string>(),
        .. app.Strategy == TransferStrategy.Rsync ? app.Paths.Select(FileStates) : [],
    ];

    [GeneratedRegex("[^a-z0-9-]")]
    private static partial Regex UnitUnsafe();

    private static string Files(string app) =>
        "state=\"$HOME\"/" + ShellQuote.Quote(StateDirectory) + "; m=\"$state\"/" + ShellQuote.Quote(app + ".stopped") +
        "; sw=\"$state\"/" + ShellQuote.Quote(app + ".switch") + "; ";

    /// <summary>
    /// Writes the marker and arms a timer that starts the services after <paramref name="delaySeconds"/>:
    /// a transient systemd timer where systemd runs, else an `at` job where atd runs, else a detached
    /// `sleep` (setsid nohup). The timer acts only while the marker still names this run, so a late timer
    /// can never start services that a later run stopped. Prints the mechanism and its id.
    /// </summary>
    public static string DeadMansSwitchArm(string app, string runId, string composeDirectory, IReadOnlyList<string> services, int delaySeconds)
    {
        var start = ComposeStart(composeDirectory, services);
        var marker = new StringBuilder()
            .Append("# run: ").Append(runId).Append('\n')
            .Append("# services: ").Append(string.Join(' ', services)).Append('\n')
            .Append(start).Append('\n').ToString();
        return Files(app) + "umask 077 && mkdir -p \"$state\" && " +
            "printf '%s' " + ShellQuote.Quote(marker) + " > \"$m.tmp\" && mv \"$m.tmp\" \"$m\" || exit 1; " +
            ArmTimer(app, runId, delaySeconds) + "cat \"$sw\"";
    }

    /// <summary>
    /// The heartbeat: while the marker is still this run's, arms a new timer for <paramref name="delaySeconds"/>,
    /// then cancels the one it replaces (in that order, so there is never a moment without one). Prints the
    /// mechanism and the seconds armed.
    /// </summary>
    public static string DeadMansSwitchRenew(string app, string runId, string composeDirectory, IReadOnlyList<string> services, int delaySeconds) =>
        Files(app) + "grep -qx " + ShellQuote.Quote("# run: " + runId) + " \"$m\" 2>/dev/null || { echo 'no marker of this run' >&2; exit 1; }; " +
        "old=$(cat \"$sw\" 2>/dev/null); " + ArmTimer(app, runId, delaySeconds) +
        "if [ -n \"$old\" ]; then set -- $old; " + CancelTimer("$1", "$2") + "; fi; " +
        "echo \"$(cat \"$sw\") " + delaySeconds.ToString(CultureInfo.InvariantCulture) + "\"";

    /// <summary>
    /// Arms the timer that runs the marker after <paramref name="delaySeconds"/> and writes which one to the
    /// switch file: a transient systemd timer where systemd runs, else an `at` job where atd runs (at counts
    /// whole minutes from the start of the current one, so it gets one more: never earlier than asked), else
    /// a detached `sleep` (setsid nohup). The timer acts only while the marker still names this run.
    /// </summary>
    private static string ArmTimer(string app, string runId, int delaySeconds)
    {
        var inv = CultureInfo.InvariantCulture;
        // What the timer runs: start the services only if the marker is still this run's, then clean up.
        var fire = Files(app) + "grep -qx " + ShellQuote.Quote("# run: " + runId) + " \"$m\" 2>/dev/null && sh \"$m\" && rm -f \"$m\" \"$sw\"";
        // A renewal arms a timer beside the one it replaces: the unit name must differ.
        var unit = "manifestgen-restart-" + UnitUnsafe().Replace(app.ToLowerInvariant(), "-") + "-" + runId + "-$(date +%s%N)";
        var minutes = ((delaySeconds + 59) / 60 + 1).ToString(inv);
        var seconds = delaySeconds.ToString(inv);
        return "fire=" + ShellQuote.Quote(fire) + "; unit=\"" + unit + "\"; " +
            "if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1 && " +
            // systemd starts the unit with its own environment: HOME (the marker's folder) and PATH (docker) are
            // this session's, as `at` and the sleeper keep them.
            "systemd-run --quiet --collect --unit=\"$unit\" --on-active=" + seconds + "s --timer-property=AccuracySec=1s " +
            "--setenv=HOME=\"$HOME\" --setenv=PATH=\"$PATH\" /bin/sh -c \"$fire\" >/dev/null 2>&1; then " +
            "echo systemd \"$unit\" > \"$sw\"; " +
            // The atd that `at` itself signals (its pid file, that process still atd): pgrep would also see an
            // atd of another PID namespace, whose spool is not the one `at` writes to.
            "elif command -v at >/dev/null 2>&1 && p=$(cat /run/atd.pid 2>/dev/null) && [ \"$(cat \"/proc/$p/comm\" 2>/dev/null)\" = atd ] && " +
            "job=$(echo \"$fire\" | at now + " + minutes + " minutes 2>&1 | sed -n 's/^job \\([0-9][0-9]*\\) .*/\\1/p') && [ -n \"$job\" ]; then " +
            "echo \"at $job\" > \"$sw\"; " +
            "else " +
            "if command -v setsid >/dev/null 2>&1; then nohup setsid sh -c \"sleep " + seconds + "; $fire\" >/dev/null 2>&1 </dev/null & " +
            "else nohup sh -c \"sleep " + seconds + "; $fire\" >/dev/null 2>&1 </dev/null & fi; " +
            "echo \"nohup $!\" > \"$sw\"; " +
            "fi; ";
    }

    /// <summary>Cancels the timer of kind <paramref name="kind"/> and id <paramref name="id"/> (shell words).</summary>
    private static string CancelTimer(string kind, string id) =>
        "case \"" + kind + "\" in " +
        "systemd) systemctl stop \"" + id + ".timer\" >/dev/null 2>&1 ;; " +
        "at) atrm \"" + id + "\" >/dev/null 2>&1 ;; " +
        "nohup) kill -TERM -\"" + id + "\" >/dev/null 2>&1 || kill -TERM \"" + id + "\" >/dev/null 2>&1 ;; " +
        "esac";

    /// <summary>Cancels the timer and removes the marker: the runner started the services itself.</summary>
    public static string DeadMansSwitchDisarm(string app) =>
        Files(app) + "if [ -f \"$sw\" ]; then read kind id < \"$sw\"; " + CancelTimer("$kind", "$id") + "; fi; rm -f \"$m\" \"$sw\"";

    /// <summary>Prints a previous run's marker when there is one (nothing otherwise).</summary>
    public static string DeadMansSwitchMarker(string app) => Files(app) + "if [ -f \"$m\" ]; then cat \"$m\"; fi";

    /// <summary>Starts the services a previous run's marker names, then cancels its timer and removes the marker.</summary>
    public static string DeadMansSwitchRecover(string app) => Files(app) + "sh \"$m\" && { " + DeadMansSwitchDisarm(app) + "; }";

    /// <summary>The services line of a marker printed by <see cref="DeadMansSwitchMarker"/>.</summary>
    public static IReadOnlyList<string> MarkerServices(string marker) =>
        marker.Split('\n').FirstOrDefault(l => l.StartsWith("# services: ", StringComparison.Ordinal)) is { } line
            ? line["# services: ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : [];
}
