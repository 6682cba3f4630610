using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ManifestGen.Contracts;

/// <summary>Which key an allow-list belongs to: the backup key reads, the restore key writes.</summary>
public enum GateRole { Backup, Restore }

/// <summary>
/// The host gate's allow-list for one key of one host: one entry a line, <c>VERB TAB ARGUMENT…</c>.
/// The gate (host/manifestgen-gate) runs nothing that is not listed here.
/// <list type="bullet">
/// <item><c>role backup|restore</c>: backup allows the rsync sender (read) of exactly a listed path;
/// restore allows the rsync receiver (write) into a listed path or below it, and nothing else of rsync.</item>
/// <item><c>path P</c>: an app path (the path check and rsync; the restore drill's size, time and
/// SHA-256 of files below it, read-only).</item>
/// <item><c>compose DIR SERVICE</c>: <c>docker compose ps/stop/start</c> of that service in that folder.</item>
/// <item><c>exec LINE</c>: this exact command line (a hook, a dump, tar), run by the login shell.</item>
/// <item><c>switch APP DIR SECONDS</c>: the dead man's switch of that app (backup key), which the gate runs
/// itself: arm with the app's compose services of DIR and a delay of at most SECONDS, cancel, read the
/// marker, recover (<see cref="RemoteCommands.GateSwitchArm"/>).</item>
/// <item><c>sftp PROGRAM</c>: a read-only sftp-server for sshfs (not confined to the app's paths).</item>
/// <item><c>log FILE</c>: where refusals are appended besides syslog.</item>
/// </list>
/// </summary>
public static partial class GateAllowList
{
    public const string DefaultSftpServer = "/usr/lib/openssh/sftp-server";

    /// <summary>The allow-list of one key of a host, from the backup job configurations of that host's apps.</summary>
    public static string Render(string hostName, GateRole role, IEnumerable<JobConfig> jobs, string? logFile = null,
        string sftpServer = DefaultSftpServer)
    {
        var list = jobs.Where(j => j.App is not null).ToList();
        var entries = new List<string> { Entry("role", role == GateRole.Backup ? "backup" : "restore") };
        if (logFile is not null) entries.Add(Entry("log", logFile));
        foreach (var job in list)
        {
            var app = job.App!;
            entries.AddRange(app.Paths.Select(p => Entry("path", p)));
            if (app.Hooks.ComposeDirectory is { } dir)
            {
                entries.AddRange(app.Hooks.StopServices.Select(s => Entry("compose", dir, s)));
                if (role == GateRole.Backup && !app.Hooks.StopServices.IsEmpty)
                    entries.Add(Entry("switch", app.Name, dir, JobConfig.PodLifetimeBoundSeconds(job).ToString(CultureInfo.InvariantCulture)));
            }
            if (role == GateRole.Backup)
                entries.AddRange(RemoteCommands.FixedBackupCommands(app).Select(r => Entry("exec", r)));
        }
        if (role == GateRole.Backup && list.Any(j => j.App!.Strategy == TransferStrategy.Sshfs))
            entries.Add(Entry("sftp", sftpServer));

        var sb = new StringBuilder();
        sb.Append("# ManifestGen host gate allow-list: host ").Append(hostName).Append(", ")
          .Append(role == GateRole.Backup ? "backup" : "restore").Append(" key. Rendered by manifestgen; do not edit.\n");
        sb.Append("# One entry a line: VERB<TAB>ARGUMENT... The gate runs nothing that is not listed here.\n");
        foreach (var e in entries.Distinct(StringComparer.Ordinal)) sb.Append(e).Append('\n');
        return sb.ToString();
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
        return verb + "\t" + string.Join('\t', args);
    }
}
