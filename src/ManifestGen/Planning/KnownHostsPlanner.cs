using ManifestGen.Contracts;
using static ManifestGen.Planning.Planner;

namespace ManifestGen.Planning;

/// <summary>
/// What a host's backups need in every namespace its apps run in (the environment's namespace when it has
/// none): the known_hosts ConfigMap from the pinned keys, so no pod trusts a key on first use, and the
/// Secrets its pods mount (SSH key; with a REST server, the host's repository credential). Behind the host
/// gate, also the restore key, which only the environment's namespace needs.
/// </summary>
internal static class KnownHostsPlanner
{
    public static (List<RenderUnit> Units, List<RequiredSecret> Secrets) Plan(PlanContext ctx)
    {
        var units = new List<RenderUnit>();
        var secrets = new List<RequiredSecret>();
        foreach (var (host, h) in ctx.Inv.Hosts.Select((x, i) => (x, i)))
        {
            var hostPattern = host.Port == 22 ? host.Address : $"[{host.Address}]:{host.Port}";
            var content = string.Concat(host.HostKeys.Select(k => $"{hostPattern} {k.Trim()}\n"));
            var hostScopes = ctx.Apps.Where(a => a.Host == host).Select(ctx.ScopeOf).Distinct().DefaultIfEmpty(ctx.Ns);
            foreach (var scope in hostScopes)
            {
                units.Add(new RenderUnit("config-map.sbn", new ConfigMapModel(
                    Meta(Names.KnownHosts(host.Name), scope,
                        With(ctx.BaseLabels, ("app.kubernetes.io/component", "known-hosts"), ("manifestgen.io/host", host.Name)), Wave(0)),
                    [new(PodPaths.KnownHostsFileName, content)]), $"hosts[{h}].hostKeys"));
                secrets.Add(new RequiredSecret(host.SshKeySecret.Name, "kubernetes.io/ssh-auth", [PodPaths.SshKeyFileName],
                    $"backups of host {host.Name} (SSH private key)", scope));
                if (ctx.Server is not null)
                    secrets.Add(RepositoryServerPlanner.CredentialSecret(ctx.Repo, host.Name, scope));
            }
            // Behind the gate the backup key only reads; restoring needs its own key, which no CronJob mounts.
            if (ctx.Inv.HostGate is not null)
                secrets.Add(new RequiredSecret(HostGatePlan.RestoreKeySecretName(host), "kubernetes.io/ssh-auth", [PodPaths.SshKeyFileName],
                    $"restore Jobs of host {host.Name} (SSH private key with write access; never mounted by a CronJob)", ctx.Ns));
        }
        return (units, secrets);
    }
}
