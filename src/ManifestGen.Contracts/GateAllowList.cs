using System.Collections.Immutable;
using System.Text;

namespace ManifestGen.Contracts;

/// <summary>Which key an allow-list belongs to: the backup key reads, the restore key writes.</summary>
public enum GateRole { Backup, Restore }

/// <summary>
/// The host gate's allow-list for one key of one host: one entry a line, <c>VERB TAB ARGUMENT…</c>.
/// The gate (host/manifestgen-gate) runs nothing that is not listed here.
/// <list type="bullet">
/// <item><c>role backup|restore</c>: backup allows the rsync sender (read) of exactly a listed path;
/// restore allows the rsync receiver (write) into a listed path or below it, and nothing else of rsync.</item>
/// <item><c>path P</c>: an app path (the path check and rsync).</item>
/// <item><c>compose DIR SERVICE</c>: <c>docker compose ps/stop/start</c> of that service in that folder.</item>
/// <item><c>exec LINE</c>: this exact command line (a hook, a dump, tar), run by the login shell.</item>
/// <item><c>sftp PROGRAM</c>: a read-only sftp-server for sshfs (not confined to the app's paths).</item>
/// <item><c>log FILE</c>: where refusals are appended besides syslog.</item>
/// </list>
/// </summary>
public static class GateAllowList
{
    public const string DefaultSftpServer = "/usr/lib/openssh/sftp-server";

    public static string Render(string hostName, GateRole role, IEnumerable<AppConfig> apps, string? logFile = null,
        string sftpServer = DefaultSftpServer)
    {
        var list = apps.ToList();
        var entries = new List<string> { Entry("role", role == GateRole.Backup ? "backup" : "restore") };
        if (logFile is not null) entries.Add(Entry("log", logFile));
        foreach (var app in list)
        {
            entries.AddRange(app.Paths.Select(p => Entry("path", p)));
            if (app.Hooks.ComposeDirectory is { } dir)
                entries.AddRange(app.Hooks.StopServices.Select(s => Entry("compose", dir, s)));
            if (role == GateRole.Backup)
                entries.AddRange(RemoteCommands.FixedBackupCommands(app).Select(r => Entry("exec", r)));
        }
        if (role == GateRole.Backup && list.Any(a => a.Strategy == TransferStrategy.Sshfs))
            entries.Add(Entry("sftp", sftpServer));

        var sb = new StringBuilder();
        sb.Append("# ManifestGen host gate allow-list: host ").Append(hostName).Append(", ")
          .Append(role == GateRole.Backup ? "backup" : "restore").Append(" key. Rendered by manifestgen; do not edit.\n");
        sb.Append("# One entry a line: VERB<TAB>ARGUMENT... The gate runs nothing that is not listed here.\n");
        foreach (var e in entries.Distinct(StringComparer.Ordinal)) sb.Append(e).Append('\n');
        return sb.ToString();
    }

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
