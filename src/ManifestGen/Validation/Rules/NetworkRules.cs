using System.Net;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;

namespace ManifestGen.Validation.Rules;

/// <summary>MG0715-MG0716: what the environment's NetworkPolicy must allow is known, as IP ranges or in-cluster pods.</summary>
public sealed class NetworkRule : InventoryRule
{
    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var model = inventory.Model;
        for (int h = 0; h < model.Hosts.Length; h++)
        {
            var host = model.Hosts[h];
            Cidrs(sink, $"hosts[{h}].egressCidrs", host.EgressCidrs);
            if (host.EgressCidrs.IsEmpty && !IPAddress.TryParse(host.Address, out _))
                sink.Report(DiagnosticCatalogue.EgressUnknown, $"hosts[{h}].address",
                    $"`{host.Address}` is a DNS name: the NetworkPolicy can allow only IP ranges, and without `egressCidrs` the jobs cannot reach host {host.Name}",
                    "add `egressCidrs: [<the address>/32]` to the host");
        }
        var policy = model.NetworkPolicy;
        Peer(sink, "networkPolicy.dns", policy.Dns);
        if (policy.Pushgateway is { } push) Peer(sink, "networkPolicy.pushgateway", push);
        else if (model.Reporting.PushgatewayUrl is not null)
            sink.Report(DiagnosticCatalogue.EgressUnknown, "reporting.pushgatewayUrl",
                "the NetworkPolicy cannot allow the pushgateway: `networkPolicy.pushgateway` does not say where it runs",
                "add `networkPolicy: { pushgateway: { namespace: monitoring, podLabels: { app.kubernetes.io/name: prometheus-pushgateway }, port: 9091 } }`");
        if (policy.Ping is { } ping) Peer(sink, "networkPolicy.ping", ping);
        else if (model.Reporting.PingUrlSecret is not null)
            sink.Report(DiagnosticCatalogue.EgressUnknown, "reporting.pingUrlSecret",
                "the NetworkPolicy cannot allow the ping endpoint: `networkPolicy.ping` does not say where it is",
                "add `networkPolicy: { ping: { cidrs: [<the ping service's addresses>], port: 443 } }`");
    }

    private static void Peer(RuleSink sink, string path, EgressPeerSpec peer)
    {
        Cidrs(sink, path + ".cidrs", peer.Cidrs);
        var inCluster = peer.Namespace is not null || !peer.PodLabels.IsEmpty;
        if (peer.Cidrs.IsEmpty == !inCluster)
            sink.Report(DiagnosticCatalogue.EgressUnknown, path,
                inCluster ? "names both IP ranges and in-cluster pods; give one" : "names neither IP ranges nor a namespace");
        else if (!peer.PodLabels.IsEmpty && peer.Namespace is null)
            sink.Report(DiagnosticCatalogue.EgressUnknown, path, "podLabels without a namespace would match pods of every namespace");
        if (peer.Port is not { } port || port is < 1 or > 65535)
            sink.Report(DiagnosticCatalogue.EgressUnknown, path + ".port", $"`port` is {(peer.Port is null ? "missing" : "outside 1-65535")}");
    }

    private static void Cidrs(RuleSink sink, string path, System.Collections.Immutable.ImmutableArray<string> cidrs)
    {
        for (int i = 0; i < cidrs.Length; i++)
            if (!IsCidr(cidrs[i]))
                sink.Report(DiagnosticCatalogue.CidrInvalid, $"{path}[{i}]", $"`{cidrs[i]}` is not an IP range with its network address");
    }

    public static bool IsCidr(string text) =>
        IPNetwork.TryParse(text, out var network) && text.Contains('/', StringComparison.Ordinal) &&
        network.ToString() == text;
}
