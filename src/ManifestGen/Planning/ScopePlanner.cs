using System.Collections.Immutable;
using ManifestGen.Inventory;
using static ManifestGen.Planning.Planner;

namespace ManifestGen.Planning;

/// <summary>
/// Each scope's base objects: the environment's namespace, and a namespace of its own for sshfs apps. Each
/// scope has its Namespace, ServiceAccount, NetworkPolicy and a statically bound volume and claim onto the
/// same repository storage, because a PersistentVolume binds exactly one claim (claimRef names its
/// namespace). The Namespace comes first (wave -2), the volume and claim before any job (wave 0).
/// </summary>
internal static class ScopePlanner
{
    public static IEnumerable<RenderUnit> Plan(PlanContext ctx)
    {
        var repo = ctx.Repo;
        var repoLabels = With(ctx.BaseLabels, ("app.kubernetes.io/component", "repository"));
        var nfs = repo.Storage.Nfs;
        var local = repo.Storage.Local;
        foreach (var scope in ctx.Scopes)
        {
            yield return new RenderUnit("namespace.sbn", new NamespaceModel(Meta(scope, null, ctx.BaseLabels, Wave(-2))), "namespace");
            yield return new RenderUnit("service-account.sbn", new ServiceAccountModel(Meta(ServiceAccountName, scope, ctx.BaseLabels, Wave(-1))), "namespace");
            // With a REST server, the environment's policy leaves the server's pods to the server's own policy.
            yield return new RenderUnit("network-policy.sbn", new NetworkPolicyModel(Meta(ServiceAccountName, scope, ctx.BaseLabels, Wave(-1)),
                Egress(ctx.Inv, ctx.Env, ctx.Apps.Where(a => (ctx.ScopeOf(a) == ctx.Ns) == (scope == ctx.Ns))))
            {
                ExceptComponents = ctx.Server is not null && scope == ctx.Ns ? [RepositoryServerPlanner.Component] : [],
            }, "networkPolicy");
            var pvName = Names.RepositoryVolume(scope, repo.Name);
            yield return new RenderUnit("persistent-volume.sbn", new PersistentVolumeModel(
                Meta(pvName, null, repoLabels, Wave(0)), repo.Capacity, repo.StorageClassName, repo.AccessModes, scope, ctx.ClaimName,
                nfs is null ? null : new NfsSource(nfs.Server, nfs.Path), nfs?.MountOptions ?? [], local?.Path, local?.Node),
                "repository.storage");
            yield return new RenderUnit("persistent-volume-claim.sbn", new PersistentVolumeClaimModel(
                Meta(ctx.ClaimName, scope, repoLabels, Wave(0)), repo.Capacity, repo.StorageClassName, repo.AccessModes, pvName),
                "repository");
        }
    }

    /// <summary>
    /// What the pods of one namespace may reach: cluster DNS, each of their hosts' SSH port (its
    /// egressCidrs, or its address), the pushgateway and the ping endpoint when reporting uses them.
    /// </summary>
    private static ImmutableArray<EgressRuleModel> Egress(InventorySpec inv, string environment, IEnumerable<ResolvedApp> apps)
    {
        var policy = inv.NetworkPolicy;
        var rules = new List<EgressRuleModel>
        {
            Peer(policy.Dns, [new PortModel("UDP", policy.Dns.Port ?? 53), new PortModel("TCP", policy.Dns.Port ?? 53)]),
        };
        foreach (var host in apps.Select(a => a.Host).Distinct().OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            var cidrs = host.EgressCidrs.IsEmpty && AddressRange(host.Address) is { } own ? [own] : host.EgressCidrs;
            rules.Add(new EgressRuleModel(cidrs, null, [], [new PortModel("TCP", host.Port)]));
        }
        if (inv.Reporting.PushgatewayUrl is not null && policy.Pushgateway is { } push)
            rules.Add(Peer(push, [new PortModel("TCP", push.Port ?? 0)]));
        if (inv.Reporting.PingUrlSecret is not null && policy.Ping is { } ping)
            rules.Add(Peer(ping, [new PortModel("TCP", ping.Port ?? 0)]));
        if (inv.Repository.Server is { } server)
            rules.Add(RepositoryServerPlanner.Egress(environment, inv.Namespace, server));
        return [.. rules];

        static EgressRuleModel Peer(EgressPeerSpec peer, ImmutableArray<PortModel> ports) =>
            new(peer.Cidrs, peer.Namespace, [.. peer.PodLabels.Select(kv => new KeyValue(kv.Key, kv.Value))], ports);
    }

    /// <summary>The range of exactly one IP address (/32 or /128), or null when <paramref name="address"/> is a DNS name.</summary>
    public static string? AddressRange(string address) =>
        System.Net.IPAddress.TryParse(address, out var ip)
            ? address + (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "/128" : "/32")
            : null;
}
