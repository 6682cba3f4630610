using System.Net;
using System.Text.RegularExpressions;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Validation.Rules;

/// <summary>
/// MG0730-MG0733: what the host gate needs from the inventory. Values are checked against the same
/// character sets the gate (host/manifestgen-gate) accepts, so a rendered allow-list always works.
/// </summary>
public sealed partial class HostGateRule : InventoryRule
{
    /// <summary>What the gate's compose pattern accepts as a service name.</summary>
    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex PlainService();

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var model = inventory.Model;
        for (int h = 0; h < model.Hosts.Length; h++)
            Keys(sink, model.Hosts[h], $"hosts[{h}]");
        if (model.HostGate is not { } gate) return;

        if (gate.SourceRanges.IsEmpty)
            sink.ReportKey(DiagnosticCatalogue.GateSourceRangeInvalid, "hostGate.sourceRanges", "no range: the keys' `from=` would be empty");
        for (int i = 0; i < gate.SourceRanges.Length; i++)
            if (!IPNetwork.TryParse(gate.SourceRanges[i], out var net) || net.ToString() != gate.SourceRanges[i])
                sink.Report(DiagnosticCatalogue.GateSourceRangeInvalid, $"hostGate.sourceRanges[{i}]",
                    $"`{gate.SourceRanges[i]}` is not a range in canonical CIDR notation (ADDRESS/PREFIX with the host bits zero)");
        Plain(sink, "hostGate.program", gate.Program);
        Plain(sink, "hostGate.configDirectory", gate.ConfigDirectory);
        Plain(sink, "hostGate.sftpServer", gate.SftpServer);
        if (gate.LogFile is { } log) Plain(sink, "hostGate.logFile", log);

        for (int h = 0; h < model.Hosts.Length; h++)
        {
            var host = model.Hosts[h];
            for (int a = 0; a < host.Apps.Length; a++)
            {
                var app = host.Apps[a];
                var at = $"hosts[{h}].apps[{a}]";
                for (int p = 0; p < app.Paths.Length; p++) Plain(sink, $"{at}.paths[{p}]", app.Paths[p]);
                if (app.Hooks.ComposeDirectory is { } dir) Plain(sink, at + ".hooks.composeDirectory", dir);
                for (int s = 0; s < app.Hooks.StopServices.Length; s++)
                    if (!PlainService().IsMatch(app.Hooks.StopServices[s]))
                        sink.Report(DiagnosticCatalogue.GateValueNotPlain, $"{at}.hooks.stopServices[{s}]",
                            $"`{app.Hooks.StopServices[s]}` is not a plain service name (letters, digits, `._-`)");
                OneLine(sink, at + ".hooks.before", app.Hooks.Before.Select(x => x.Run));
                OneLine(sink, at + ".hooks.after", app.Hooks.After.Select(x => x.Run));
                OneLine(sink, at + ".hooks.dumps", app.Hooks.Dumps.Select(x => x.Command), ".command");
                if ((app.Strategy ?? model.Defaults.Strategy) == TransferStrategy.Sshfs)
                    sink.ReportKey(DiagnosticCatalogue.GateSshfsUnconfined, at + (app.Strategy is null ? "" : ".strategy"),
                        $"app {app.Name} uses sshfs on gated host {host.Name}: the backup key can read every file the host user `{host.User}` can read");
            }
        }
    }

    private static void Keys(RuleSink sink, HostSpec host, string at)
    {
        SshPublicKey? backup = null, restore = null;
        if (host.BackupPublicKey is { } b && !SshPublicKey.TryParse(b, out backup, out var why))
            sink.Report(DiagnosticCatalogue.GatePublicKeyInvalid, at + ".backupPublicKey", $"not an SSH public key: {why}");
        if (host.RestorePublicKey is { } r && !SshPublicKey.TryParse(r, out restore, out var why2))
            sink.Report(DiagnosticCatalogue.GatePublicKeyInvalid, at + ".restorePublicKey", $"not an SSH public key: {why2}");
        if (backup is not null && restore is not null && backup.KeyText == restore.KeyText)
            sink.Report(DiagnosticCatalogue.GatePublicKeyInvalid, at + ".restorePublicKey",
                $"the restore key of host {host.Name} is the backup key; the read-only backup key must not be able to write");
    }

    private static void Plain(RuleSink sink, string path, string value)
    {
        // The gate's plain_path (besides the normalisation HostRule checks).
        if (!GateAllowList.HasPlainCharacters(value))
            sink.Report(DiagnosticCatalogue.GateValueNotPlain, path,
                $"`{value}` is not a plain absolute path (letters, digits and `._/@+,:=-`): the host gate cannot pass it on");
    }

    private static void OneLine(RuleSink sink, string path, IEnumerable<string> commands, string suffix = ".run")
    {
        var i = 0;
        foreach (var c in commands)
        {
            if (GateAllowList.WhyNotEntryValue(c) is { } why)
                sink.Report(DiagnosticCatalogue.GateValueNotPlain, $"{path}[{i}]{suffix}", $"the command {why}");
            i++;
        }
    }
}
