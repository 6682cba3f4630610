using ManifestGen.Diagnostics;
using ManifestGen.Inventory;

namespace ManifestGen.Validation.Rules;

/// <summary>MG1150-MG1199: what a host's coverage job needs from the inventory.</summary>
public sealed class CoverageRule : InventoryRule
{
    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var model = inventory.Model;
        for (var h = 0; h < model.Hosts.Length; h++)
        {
            var host = model.Hosts[h];
            if (!host.Coverage) continue;
            if (host.Apps.IsDefaultOrEmpty)
                sink.Report(DiagnosticCatalogue.CoverageWithoutApps, $"hosts[{h}].coverage",
                    $"host {host.Name} has coverage: true but no apps: no coverage job is rendered for it");
            // The discovery is a request of the gate: without it the backup key would need a shell to ask docker.
            if (model.HostGate is null)
                sink.Report(DiagnosticCatalogue.CoverageWithoutGate, $"hosts[{h}].coverage",
                    $"host {host.Name} has a coverage job but the inventory has no hostGate: the discovery is a request of the gate");
            else if (host.BackupPublicKey is null)
                sink.Report(DiagnosticCatalogue.CoverageWithoutBackupKey, $"hosts[{h}].coverage",
                    $"host {host.Name} has a coverage job but no backupPublicKey: no authorized_keys line lets the discovery through the gate");
        }
    }
}
