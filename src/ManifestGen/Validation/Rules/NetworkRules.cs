using System.Collections.Immutable;
using System.Net;
using FluentValidation;
using FluentValidation.Results;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;

namespace ManifestGen.Validation.Rules;

/// <summary>MG0715-MG0716: what the environment's NetworkPolicy must allow is known, as IP ranges or in-cluster pods.</summary>
internal sealed class NetworkValidator : AbstractValidator<InventorySpec>
{
    /// <param name="previousRelease">The inventory has no `networkPolicy` section, as one written for 0.1.0 (which needed none).</param>
    public NetworkValidator(bool previousRelease)
    {
        RuleFor(m => m.Hosts).Custom((hosts, context) =>
        {
            for (int h = 0; h < hosts.Length; h++)
            {
                var host = hosts[h];
                foreach (var failure in Cidrs($"hosts[{h}].egressCidrs", host.EgressCidrs))
                    context.AddFailure(failure);
                if (host.EgressCidrs.IsEmpty && !IPAddress.TryParse(host.Address, out _))
                    context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.EgressUnknown, $"hosts[{h}].address",
                        $"`{host.Address}` is a DNS name: the NetworkPolicy can allow only IP ranges, and without `egressCidrs` the jobs cannot reach host {host.Name}",
                        "add `egressCidrs: [<the address>/32]` to the host"));
            }
        });
        RuleFor(m => m).Custom((model, context) =>
        {
            var policy = model.NetworkPolicy;
            foreach (var failure in Peer("networkPolicy.dns", policy.Dns))
                context.AddFailure(failure);
            // A reporting target the jobs use needs its peer in the policy, or the policy blocks it.
            var (pushgateway, ping) = (model.Reporting.PushgatewayUrl is not null, model.Reporting.PingUrlSecret is not null);
            foreach (var failure in Reached("networkPolicy.pushgateway", policy.Pushgateway, pushgateway, "reporting.pushgatewayUrl",
                    "the NetworkPolicy cannot allow the pushgateway: `networkPolicy.pushgateway` does not say where it runs",
                    previousRelease ? Upgrade(pushgateway, ping) : $"add `networkPolicy: {{ {PushgatewayBlock} }}`"))
                context.AddFailure(failure);
            foreach (var failure in Reached("networkPolicy.ping", policy.Ping, ping, "reporting.pingUrlSecret",
                    "the NetworkPolicy cannot allow the ping endpoint: `networkPolicy.ping` does not say where it is",
                    previousRelease ? Upgrade(pushgateway, ping) : $"add `networkPolicy: {{ {PingBlock} }}`"))
                context.AddFailure(failure);
        });
    }

    // The example inventory's peers (values/_base.yaml), as one line each.
    private const string PushgatewayBlock = "pushgateway: { namespace: monitoring, podLabels: { app.kubernetes.io/name: prometheus-pushgateway }, port: 9091 }";
    private const string PingBlock = "ping: { cidrs: [<the ping service's addresses>], port: 443 }";

    /// <summary>The hint for an inventory written for 0.1.0: what changed, and the whole block to add.</summary>
    private static string Upgrade(bool pushgateway, bool ping)
    {
        var peers = string.Join(", ", new[] { (pushgateway, PushgatewayBlock), (ping, PingBlock) }.Where(p => p.Item1).Select(p => p.Item2));
        return "this inventory has no `networkPolicy` section, as one written for release 0.1.0, which needed none: since 0.2.0 every namespace's " +
            "NetworkPolicy denies egress it is not told about (CHANGELOG.md). Add the example's block (values/_base.yaml) with your own peers: " +
            $"`networkPolicy: {{ {peers} }}`";
    }

    private static IEnumerable<ValidationFailure> Reached(string path, EgressPeerSpec? peer, bool used, string usedAt, string message, string hint)
    {
        if (peer is not null)
            return Peer(path, peer);
        return used ? [ValidatorAdapter.Failure(DiagnosticCatalogue.EgressUnknown, usedAt, message, hint)] : [];
    }

    private static IEnumerable<ValidationFailure> Peer(string path, EgressPeerSpec peer)
    {
        foreach (var failure in Cidrs(path + ".cidrs", peer.Cidrs))
            yield return failure;
        var inCluster = peer.Namespace is not null || !peer.PodLabels.IsEmpty;
        if (peer.Cidrs.IsEmpty == !inCluster)
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.EgressUnknown, path,
                inCluster ? "names both IP ranges and in-cluster pods; give one" : "names neither IP ranges nor a namespace");
        else if (!peer.PodLabels.IsEmpty && peer.Namespace is null)
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.EgressUnknown, path, "podLabels without a namespace would match pods of every namespace");
        if (peer.Port is not { } port || port is < 1 or > 65535)
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.EgressUnknown, path + ".port", $"`port` is {(peer.Port is null ? "missing" : "outside 1-65535")}");
    }

    private static IEnumerable<ValidationFailure> Cidrs(string path, ImmutableArray<string> cidrs)
    {
        for (int i = 0; i < cidrs.Length; i++)
            if (!NetworkRule.IsCidr(cidrs[i]))
                yield return ValidatorAdapter.Failure(DiagnosticCatalogue.CidrInvalid, $"{path}[{i}]", $"`{cidrs[i]}` is not an IP range with its network address");
    }
}

/// <summary>MG0715-MG0716: the NetworkPolicy's peers (<see cref="NetworkValidator"/>).</summary>
public sealed class NetworkRule : InventoryRule
{
    private static readonly NetworkValidator Validator = new(previousRelease: false);
    private static readonly NetworkValidator PreviousRelease = new(previousRelease: true);

    protected override void Run(LoadedInventory inventory, RuleSink sink) =>
        sink.Validate(inventory.SourceMap.IsSet("networkPolicy") ? Validator : PreviousRelease, inventory.Model, "");

    public static bool IsCidr(string text) =>
        IPNetwork.TryParse(text, out var network) && text.Contains('/', StringComparison.Ordinal) &&
        network.ToString() == text;
}
