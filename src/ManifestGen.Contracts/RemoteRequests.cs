using System.Collections.Immutable;

namespace ManifestGen.Contracts;

/// <summary>
/// Every command line the runner sends to a host, built in this one place: the runner sends them, and
/// the generator renders the host gate's allow-list from them (<see cref="GateAllowList"/>), so the two
/// cannot drift apart. rsync's own server command lines are built by rsync; the gate checks those by
/// their shape (see host/manifestgen-gate).
/// </summary>
public static class RemoteRequests
{
    /// <summary>
    /// Prints each given path that does not exist (NUL-terminated). The host gate recognises exactly this
    /// shape and runs its own loop over the quoted paths after checking each against the allow-list.
    /// </summary>
    public static string PathsMissing(IEnumerable<string> paths) =>
        PathsMissingPrefix + ShellQuote.Join(paths) + PathsMissingSuffix;

    public const string PathsMissingPrefix = "for p in ";
    public const string PathsMissingSuffix = "; do [ -e \"$p\" ] || [ -L \"$p\" ] || printf '%s\\0' \"$p\"; done";

    /// <summary>The compose services running now (one a line).</summary>
    public static string ComposeRunning(string directory) => Compose(directory, "ps --services --status running");

    public static string ComposeStop(string directory, IEnumerable<string> services) => Compose(directory, "stop " + ShellQuote.Join(services));

    public static string ComposeStart(string directory, IEnumerable<string> services) => Compose(directory, "start " + ShellQuote.Join(services));

    private static string Compose(string directory, string args) => "cd " + ShellQuote.Quote(directory) + " && docker compose " + args;

    /// <summary>The remote tar command: paths relative to / so the archive holds the host's layout.</summary>
    public static string Tar(AppConfig app)
    {
        var words = new List<string> { "tar", "-cf", "-", "-C", "/" };
        words.AddRange(app.Excludes.Select(e => "--exclude=" + e));
        words.Add("--");
        words.AddRange(app.Paths.Select(p => p.TrimStart('/') is { Length: > 0 } rel ? rel : "."));
        return ShellQuote.Join(words);
    }

    /// <summary>A hook is the operator's own command line, sent as written.</summary>
    public static string Hook(HookCommand hook) => hook.Run;

    /// <summary>A dump is the operator's own command line, sent as written; its stdout is the dump.</summary>
    public static string Dump(DumpStream dump) => dump.Command;

    /// <summary>
    /// Every fixed command line a backup of <paramref name="app"/> can send (hooks, dumps, tar). The path
    /// check, compose and rsync requests vary with the run (which services are running, which paths a
    /// restore names); the gate matches those by shape against the allow-list's paths and services.
    /// </summary>
    public static ImmutableArray<string> FixedBackupRequests(AppConfig app) =>
    [
        .. app.Hooks.Before.Select(Hook),
        .. app.Hooks.After.Select(Hook),
        .. app.Hooks.Dumps.Select(Dump),
        .. app.Strategy == TransferStrategy.Tar ? [Tar(app)] : Array.Empty<string>(),
    ];
}
