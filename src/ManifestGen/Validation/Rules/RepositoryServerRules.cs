using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Planning;

namespace ManifestGen.Validation.Rules;

/// <summary>
/// MG0606-MG0608: an environment without the append-only server is told what that means; with it, the
/// server can listen on its port as a non-root process and its Service name is one Kubernetes accepts.
/// </summary>
public sealed class RepositoryServerRule : InventoryRule
{
    /// <summary>The restricted server has no CAP_NET_BIND_SERVICE: ports below this need it.</summary>
    public const int FirstUnprivilegedPort = 1024;

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var repo = inventory.Model.Repository;
        if (repo.Server is not { } server)
        {
            sink.ReportKey(DiagnosticCatalogue.RepositoryNotAppendOnly, "repository",
                "every job mounts the repository volume: a compromised backup pod can forget and prune every snapshot of every host");
            return;
        }
        if (server.Port is < FirstUnprivilegedPort or > 65535)
            sink.Report(DiagnosticCatalogue.RestServerPortInvalid, "repository.server.port",
                $"port {server.Port} is outside {FirstUnprivilegedPort}-65535: the server runs without capabilities and cannot listen on it");
        var name = Names.RestServer(repo.Name);
        if (name.Length > 0 && name[0] is not (>= 'a' and <= 'z'))
            sink.Report(DiagnosticCatalogue.RestServerNameInvalid, "repository.name",
                $"the REST server's Service would be named `{name}`, which does not start with a letter");
    }
}
