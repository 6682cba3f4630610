using System.Collections.Immutable;
using System.Text;
using ManifestGen.Contracts;
using ManifestGen.Inventory;

namespace ManifestGen.Planning;

/// <summary>A file the operator installs on a host (not synced by Argo CD), relative to out/&lt;env&gt;/.</summary>
public sealed record HostFile(string Path, string Content);

/// <summary>
/// What each gated host gets (out/&lt;env&gt;/hosts/&lt;host&gt;/): the backup and restore allow-lists and the
/// authorized_keys lines that force both keys through the gate. Pure: decided from the inventory and
/// the job configurations the planner built, so the allow-list is exactly what the runner sends.
/// </summary>
public static class HostGatePlan
{
    public const string Folder = "hosts";
    public const string BackupAllowFile = "backup.allow";
    public const string RestoreAllowFile = "restore.allow";
    public const string AuthorizedKeysFile = "authorized_keys";

    /// <summary>The restore key's Secret: named in the inventory, else derived from the backup key's.</summary>
    public static string RestoreKeySecretName(HostSpec host) =>
        host.RestoreKeySecret?.Name ?? Names.Join(Names.DnsLabelMax, host.SshKeySecret.Name, "restore");

    /// <summary>The options of one key's authorized_keys line (everything before the public key).</summary>
    public static string KeyOptions(HostGateSpec gate, GateRole role) =>
        "restrict,from=\"" + string.Join(',', gate.SourceRanges) + "\",command=\"" + gate.Program + " " +
        gate.ConfigDirectory.TrimEnd('/') + "/" + (role == GateRole.Backup ? BackupAllowFile : RestoreAllowFile) + "\"";

    public static ImmutableArray<HostFile> Files(HostGateSpec gate, HostSpec host, IReadOnlyList<JobConfig> jobs)
    {
        var dir = $"{Folder}/{host.Name}/";
        var settings = new GateSettings
        {
            LogFile = gate.LogFile,
            SftpServer = gate.SftpServer,
            SandboxProgram = host.GateSandbox ? gate.SandboxProgram : null,
            WindowDirectory = gate.RestoreWindowDirectory,
            DeviceApps = [.. host.Apps.Where(a => a.RestoreDeviceFiles).Select(a => a.Name)],
            Discover = host.Coverage,
        };
        return
        [
            new(dir + BackupAllowFile, GateAllowList.Render(host.Name, GateRole.Backup, jobs, settings)),
            new(dir + RestoreAllowFile, GateAllowList.Render(host.Name, GateRole.Restore, jobs, settings)),
            new(dir + AuthorizedKeysFile, AuthorizedKeys(gate, host)),
        ];
    }

    /// <summary>
    /// The versions of a host's two allow-lists, read from the files <see cref="Files"/> renders (so the
    /// job configurations carry exactly what the host is given), with the path under out/ of each.
    /// </summary>
    public static GateAllowLists AllowLists(string environment, HostGateSpec gate, HostSpec host, IReadOnlyList<JobConfig> jobs)
    {
        var files = Files(gate, host, jobs);
        AllowListVersion Of(string name)
        {
            var file = files.Single(f => f.Path.EndsWith("/" + name, StringComparison.Ordinal));
            return new AllowListVersion { File = $"out/{environment}/{file.Path}", Version = GateAllowList.VersionIn(file.Content)! };
        }
        return new GateAllowLists { Backup = Of(BackupAllowFile), Restore = Of(RestoreAllowFile) };
    }

    /// <summary>
    /// What installing a changed host file means (render and check say it for each one): the allow-lists
    /// go into the gate's folder, the authorized_keys lines into the backup user's file.
    /// </summary>
    public static string InstallHint(HostGateSpec gate, string host, string outPath, string fileName) => fileName == AuthorizedKeysFile
        ? $"add the lines of {outPath} to the backup user's ~/.ssh/authorized_keys on {host} before syncing"
        : $"install {outPath} on {host} (as {gate.ConfigDirectory.TrimEnd('/')}/{fileName}) before syncing: until then the gate refuses every job rendered with it";

    private static string AuthorizedKeys(HostGateSpec gate, HostSpec host)
    {
        var sb = new StringBuilder();
        sb.Append("# Host ").Append(host.Name).Append(": lines for the backup user's ~/.ssh/authorized_keys. Rendered by manifestgen; install the gate and ")
          .Append(BackupAllowFile).Append('/').Append(RestoreAllowFile).Append(" in ").Append(gate.ConfigDirectory).Append(" first.\n");
        Line("backup", GateRole.Backup, host.BackupPublicKey, "Secret " + host.SshKeySecret.Name + ", mounted by the backup CronJobs");
        Line("restore", GateRole.Restore, host.RestorePublicKey, "Secret " + RestoreKeySecretName(host) + ", used only by restore Jobs");
        return sb.ToString();

        void Line(string what, GateRole role, string? publicKey, string holder)
        {
            sb.Append("# ").Append(what).Append(" key (").Append(holder).Append(")\n");
            if (publicKey is null)
                sb.Append("# not in the inventory (hosts[].").Append(what).Append("PublicKey): prefix its .pub line with the options below\n# ");
            sb.Append(KeyOptions(gate, role));
            if (publicKey is not null) sb.Append(' ').Append(publicKey.Trim());
            sb.Append('\n');
        }
    }
}
