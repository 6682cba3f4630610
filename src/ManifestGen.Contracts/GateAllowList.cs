using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ManifestGen.Contracts;

/// <summary>Which key an allow-list belongs to: the backup key reads, the restore key writes.</summary>
public enum GateRole { Backup, Restore }

/// <summary>
/// What a host's gate needs besides the jobs: where it logs, its sftp-server, its sandbox (null: the
/// inventory runs this host unsandboxed), where root opens restore windows, and the apps whose restores
/// may hold device files.
/// </summary>
public sealed record GateSettings
{
    public string? LogFile { get; init; }
    public string SftpServer { get; init; } = GateAllowList.DefaultSftpServer;
    public string? SandboxProgram { get; init; } = GateAllowList.DefaultSandboxProgram;
    public string WindowDirectory { get; init; } = GateAllowList.DefaultWindowDirectory;
    public ImmutableHashSet<string> DeviceApps { get; init; } = [];
    /// <summary>The backup key may ask for the discovery (<see cref="RemoteCommands.Discover"/>): the host has a coverage job.</summary>
    public bool Discover { get; init; }
}

/// <summary>
/// The host gate's allow-list for one key of one host (format <see cref="Format"/>): one entry a line,
/// <c>VERB TAB ARGUMENT…</c>. The gate (host/manifestgen-gate) runs nothing that is not listed here, and
/// every file access it makes for a key in a sandbox holding only that app's paths.
/// <list type="bullet">
/// <item><c>version 2</c>: the format; a gate refuses a list of another format.</item>
/// <item><c>role backup|restore</c>: backup allows the rsync sender (read) of exactly a listed path;
/// restore allows the rsync receiver (write) below a listed path while a restore window is open.</item>
/// <item><c>sandbox PROGRAM|off</c>, <c>windows DIR</c> (restore), <c>log FILE</c>.</item>
/// <item><c>path APP P</c>: a path of an app (the path check and rsync; the restore drill's size, time and
/// SHA-256 of files below it, read-only).</item>
/// <item><c>compose DIR SERVICE</c>: <c>docker compose ps/stop/start</c> of that service in that folder.</item>
/// <item><c>exec APP OUTPUTS LINE</c>: this exact command line (a hook, a dump), run by the login shell
/// after the gate checked and created fresh each of OUTPUTS (<c>-</c>: none; else paths separated by
/// spaces).</item>
/// <item><c>read APP LINE</c>: this exact command line (tar, the change listing), run in the app's
/// read-only sandbox.</item>
/// <item><c>switch APP DIR DELAY TOTAL</c>: the dead man's switch of that app (backup key), which the gate runs
/// itself (<see cref="RemoteCommands.GateSwitchArm"/>): an arm or renewal asks for at most DELAY seconds, and
/// renewals never reach past TOTAL seconds from the stop (the latest a pod of the job can live).</item>
/// <item><c>sftp APP PROGRAM</c>: a read-only sftp-server for sshfs, in a sandbox of the sshfs apps' paths.</item>
/// <item><c>devices APP</c>: a restore of the app may hold device files.</item>
/// <item><c>discover</c> (backup key): <see cref="RemoteCommands.Discover"/>, the host's compose projects for the
/// coverage job, filtered by the gate down to names, files, images, mounts and running state.</item>
/// </list>
/// Its header states its version (<see cref="VersionHeader"/>): a hash of the entries, which every job
/// configuration rendered with it carries too (<see cref="HostConfig.AllowLists"/>). The runner sends it
/// first (<see cref="RemoteCommands.AllowListVersion"/>) and the gate refuses a job rendered for another
/// allow-list before any hook runs: the host files were not installed with the commit Argo CD synced.
/// The header is a comment, so a gate that predates versions reads the list as before.
/// </summary>
public static partial class GateAllowList
{
    public const int Format = 2;
    public const string DefaultSftpServer = "/usr/lib/openssh/sftp-server";
    public const string DefaultSandboxProgram = "/usr/local/libexec/manifestgen-sandbox";
    public const string DefaultWindowDirectory = "/run/manifestgen-gate";
    /// <summary>What the allow-list says instead of a program when the host runs unsandboxed.</summary>
    public const string SandboxOff = "off";

    /// <summary>The allow-list of one key of a host, from the backup job configurations of that host's apps.</summary>
    public static string Render(string hostName, GateRole role, IEnumerable<JobConfig> jobs, GateSettings? settings = null)
    {
        settings ??= new GateSettings();
        var list = jobs.Where(j => j.App is not null).ToList();
        var entries = new List<string>
        {
            Entry("version", Format.ToString(CultureInfo.InvariantCulture)),
            Entry("role", role == GateRole.Backup ? "backup" : "restore"),
            Entry("sandbox", settings.SandboxProgram ?? SandboxOff),
        };
        if (settings.LogFile is not null) entries.Add(Entry("log", settings.LogFile));
        if (role == GateRole.Restore) entries.Add(Entry("windows", settings.WindowDirectory));
        if (role == GateRole.Backup && settings.Discover) entries.Add(Entry("discover"));
        foreach (var job in list)
        {
            var app = job.App!;
            entries.AddRange(app.Paths.Select(p => Entry("path", app.Name, p)));
            if (app.Hooks.ComposeDirectory is { } dir)
            {
                entries.AddRange(app.Hooks.StopServices.Select(s => Entry("compose", dir, s)));
                if (role == GateRole.Backup && !app.Hooks.StopServices.IsEmpty)
                    entries.Add(Entry("switch", app.Name, dir,
                        Math.Min(app.Hooks.SwitchDelaySeconds, JobConfig.PodLifetimeBoundSeconds(job)).ToString(CultureInfo.InvariantCulture),
                        JobConfig.PodLifetimeBoundSeconds(job).ToString(CultureInfo.InvariantCulture)));
            }
            if (role == GateRole.Backup)
            {
                foreach (var (line, outputs) in HookLines(app))
                    entries.Add(Entry("exec", app.Name, outputs.IsEmpty ? "-" : string.Join(' ', outputs), line));
                entries.AddRange(RemoteCommands.ReadOnlyBackupCommands(app).Select(r => Entry("read", app.Name, r)));
                if (app.Strategy == TransferStrategy.Sshfs) entries.Add(Entry("sftp", app.Name, settings.SftpServer));
            }
            else if (settings.DeviceApps.Contains(app.Name))
                entries.Add(Entry("devices", app.Name));
        }

        var body = new StringBuilder();
        foreach (var e in entries.Distinct(StringComparer.Ordinal)) body.Append(e).Append('\n');
        var sb = new StringBuilder();
        sb.Append("# ManifestGen host gate allow-list: host ").Append(hostName).Append(", ")
          .Append(role == GateRole.Backup ? "backup" : "restore").Append(" key. Rendered by manifestgen; do not edit.\n");
        sb.Append("# One entry a line: VERB<TAB>ARGUMENT... The gate runs nothing that is not listed here.\n");
        sb.Append(VersionHeader).Append(VersionOf(body.ToString())).Append('\n');
        sb.Append(body);
        return sb.ToString();
    }

    /// <summary>How the header states the allow-list's version (the gate reads the line that starts so).</summary>
    public const string VersionHeader = "# allow-list version: ";

    /// <summary>The version of an allow-list: the first 16 hex digits of the SHA-256 of its entries (computed here only).</summary>
    public static string VersionOf(string entries) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(entries)))[..16];

    /// <summary>What <see cref="VersionOf"/> gives: 16 lower-case hex digits.</summary>
    public static bool IsVersion(string text) => text.Length == 16 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>The version an allow-list's header states, or null (a list rendered before versions).</summary>
    public static string? VersionIn(string allowList) =>
        allowList.Split('\n').FirstOrDefault(l => l.StartsWith(VersionHeader, StringComparison.Ordinal))?[VersionHeader.Length..];

    /// <summary>The app's hook and dump lines with the files each writes (declared and found in the line).</summary>
    public static IEnumerable<(string Line, ImmutableArray<string> Outputs)> HookLines(AppConfig app) =>
    [
        .. app.Hooks.Before.Concat(app.Hooks.After).Select(h => (h.Run, HookOutputs(h.Run, h.Writes))),
        .. app.Hooks.Dumps.Select(d => (d.Command, HookOutputs(d.Command, []))),
    ];

    /// <summary>
    /// The files a hook line writes on the host: the declared ones, the targets of the line's own
    /// redirections (`>`, `>>`, `2>`, `&amp;>`, outside quotes: a redirection quoted for `sh -c` inside a
    /// container writes in the container), and, when the line runs sqlite3 itself, the file of its
    /// `.backup` or `VACUUM INTO`. Absolute paths only, /dev excepted; sorted, each once.
    /// </summary>
    public static ImmutableArray<string> HookOutputs(string line, IEnumerable<string> declared)
    {
        var found = new SortedSet<string>(declared, StringComparer.Ordinal);
        foreach (var target in Redirections(line)) found.Add(target);
        var first = line.TrimStart().Split(' ', 2)[0];
        if (first == "sqlite3" || first.EndsWith("/sqlite3", StringComparison.Ordinal))
            foreach (Match m in SqliteTarget().Matches(line))
                found.Add(m.Groups["p"].Value);
        return [.. found.Where(p => p.StartsWith('/') && !p.StartsWith("/dev/", StringComparison.Ordinal))];
    }

    [GeneratedRegex(@"(?:\.backup(?:\s+\w+)?|(?i:vacuum\s+into))\s+(?:'(?<p>[^']+)'|""(?<p>[^""]+)""|(?<p>[^\s'""]+))")]
    private static partial Regex SqliteTarget();

    /// <summary>The words after the redirections of a shell line that are outside quotes (duplications such as 2&gt;&amp;1 skipped).</summary>
    private static IEnumerable<string> Redirections(string line)
    {
        char quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else if (c == '\\' && quote == '"') i++;
                continue;
            }
            if (c == '\\') { i++; continue; }
            if (c is '\'' or '"') { quote = c; continue; }
            if (c != '>') continue;
            var j = i + 1;
            if (j < line.Length && line[j] is '>' or '|') j++;
            if (j < line.Length && line[j] == '&') { i = j; continue; }
            while (j < line.Length && line[j] == ' ') j++;
            var word = new StringBuilder();
            char q = '\0';
            for (; j < line.Length; j++)
            {
                var w = line[j];
                if (q != '\0') { if (w == q) q = '\0'; else word.Append(w); continue; }
                if (w is '\'' or '"') { q = w; continue; }
                if (w is ' ' or '\t' or ';' or '|' or '&' or '<' or '>' or '(' or ')') break;
                word.Append(w);
            }
            i = j - 1;
            if (word.Length > 0) yield return word.ToString();
        }
    }

    [GeneratedRegex("^/[A-Za-z0-9._/@+,:=-]*$")]
    private static partial Regex PlainCharacters();

    /// <summary>Only the characters the gate's plain_path accepts: none needs quoting, in rsync or the shell.</summary>
    public static bool HasPlainCharacters(string path) => PlainCharacters().IsMatch(path);

    /// <summary>
    /// What the gate's plain_path accepts: plain characters, absolute, no `//`, `.` or `..` component. The
    /// runner sends the gate no other path (the restore drill leaves other files out of its sample).
    /// </summary>
    public static bool IsPlainPath(string path) =>
        HasPlainCharacters(path) && !(path + "/").Contains("//", StringComparison.Ordinal) &&
        !(path + "/").Contains("/./", StringComparison.Ordinal) && !(path + "/").Contains("/../", StringComparison.Ordinal);

    /// <summary>Why a value cannot be an allow-list field (a tab or line break would split the entry), or null.</summary>
    public static string? WhyNotEntryValue(string value) =>
        value.IndexOfAny(['\t', '\n', '\r', '\0']) >= 0 ? "contains a tab or line break, which the host gate's line-based allow-list cannot hold" : null;

    private static string Entry(string verb, params string[] args)
    {
        foreach (var a in args)
            if (WhyNotEntryValue(a) is { } why) throw new ArgumentException($"gate entry `{verb}`: `{a}` {why}");
        return args.Length == 0 ? verb : verb + "\t" + string.Join('\t', args);
    }
}
