using System.Collections.Immutable;
using System.Globalization;
using ManifestGen.Contracts;
using ManifestGen.Inventory;

namespace ManifestGen.Planning;

/// <summary>
/// The append-only repository (<c>repository.server</c>): restic's REST server serves the repository volume
/// with <c>--append-only --private-repos</c>, and every host has a repository of its own below it
/// (<c>/repository/&lt;host&gt;</c>, the URL path <c>/&lt;host&gt;/</c>, which only the server user named like
/// the host may open).
/// <list type="bullet">
/// <item>Backup pods (and the drills and restores that run in their pod) reach the server with their host's
/// credential and do not mount the volume: they can add snapshots to their host's repository and read it,
/// not delete anything, and cannot open another host's repository.</item>
/// <item>The jobs that delete (forget, prune) and the init and check jobs mount the volume directly, as
/// without a server. That is the one credential that can delete: the right to run a pod that mounts the
/// claim, which only the rendered maintenance CronJobs use. A second, full-access server for maintenance
/// would add a password that can delete reachable over the network, to guard the same volume.</item>
/// </list>
/// Server and maintenance share one repository folder per host; restic's locks are files in it, so
/// a prune waits for a running backup exactly as on a shared volume.
/// </summary>
public static class RepositoryServerPlanner
{
    public const string Component = "rest-server";
    /// <summary>Components of the pods that reach the server: backups, the drills and restores that run in a backup's pod.</summary>
    public static readonly ImmutableArray<string> ClientComponents = ["backup", "drill", "restore"];
    /// <summary>Bound of the server's /tmp (the root filesystem is read-only; the server writes uploads into the repository).</summary>
    public const string TmpSize = "64Mi";
    private const string PortName = "http";

    /// <summary>The Service's in-cluster name: <c>&lt;service&gt;.&lt;namespace&gt;.svc</c> (resolved through the pods' DNS search path).</summary>
    public static string ServiceHost(string repository, string ns) => $"{Names.RestServer(repository)}.{ns}.svc";

    /// <summary>A host's repository as its backup pods reach it: no credential in the URL (restic reads RESTIC_REST_*).</summary>
    public static RepositoryConfig ForBackup(RepositoryConfig common, RepositorySpec repo, RepositoryServerSpec server, string ns, string host) =>
        common with
        {
            Location = string.Create(CultureInfo.InvariantCulture,
                $"rest:http://{ServiceHost(repo.Name, ns)}:{server.Port}/{Names.RestUser(host)}/"),
            RestUsername = Names.RestUser(host),
            RestPasswordFile = PodPaths.RestPasswordDir + "/" + PodPaths.RestPasswordKey,
        };

    /// <summary>The host's credential Secret as a backup pod mounts it (mode 0440, through fsGroup).</summary>
    public static (VolumeModel Volume, MountModel Mount) Credential(RepositorySpec repo, string host) =>
        (new VolumeModel(CredentialVolume, VolumeKind.Secret, Names.RestCredentials(repo.Name, host),
                [new(PodPaths.RestPasswordKey, PodPaths.RestPasswordKey)], DefaultMode: PodSecurity.SecretMode),
            new MountModel(CredentialVolume, PodPaths.RestPasswordDir, null, true));

    /// <summary>The volume of the host's REST credential in its pods.</summary>
    public const string CredentialVolume = "rest-credential";

    public static RequiredSecret CredentialSecret(RepositorySpec repo, string host, string ns) =>
        new(Names.RestCredentials(repo.Name, host), "Opaque", [PodPaths.RestPasswordKey],
            $"backups, drills and restores of host {host} (its REST server password; user `{Names.RestUser(host)}` in the htpasswd Secret)", ns);

    /// <summary>The server pods' labels, which the Deployment, Service and both NetworkPolicies select by.</summary>
    public static ImmutableArray<KeyValue> Selector(string environment) =>
        [new("app.kubernetes.io/component", Component), new("manifestgen.io/environment", environment)];

    /// <summary>The runner pods' egress rule to the server.</summary>
    public static EgressRuleModel Egress(string environment, string ns, RepositoryServerSpec server) =>
        new([], ns, Selector(environment), [new PortModel("TCP", server.Port)]);

    /// <summary>The server's Deployment, Service and NetworkPolicy, and the htpasswd Secret it reads.</summary>
    public static (ImmutableArray<RenderUnit> Units, RequiredSecret Htpasswd) Plan(
        RepositorySpec repo, RepositoryServerSpec server, string environment, string ns, ImmutableArray<KeyValue> baseLabels,
        string image, string pullPolicy, string claimName, string? node, IEnumerable<string> clientNamespaces)
    {
        var name = Names.RestServer(repo.Name);
        var selector = Selector(environment);
        var labels = Planner.With(baseLabels, ("app.kubernetes.io/component", Component));
        var port = new ContainerPortModel(PortName, "TCP", server.Port);
        var pod = new PodModel(labels, image, pullPolicy, ["restic-rest-server"],
            ["--path", PodPaths.RepositoryMount, "--listen", string.Create(CultureInfo.InvariantCulture, $":{server.Port}"),
                "--append-only", "--private-repos", "--htpasswd-file", PodPaths.HtpasswdDir + "/" + PodPaths.HtpasswdKey],
            [],
            [
                new("repository", PodPaths.RepositoryMount, null, false),
                new("htpasswd", PodPaths.HtpasswdDir, null, true),
                new("tmp", PodPaths.TmpDir, null, false),
            ],
            [
                new("repository", VolumeKind.Claim, claimName),
                new("htpasswd", VolumeKind.Secret, server.HtpasswdSecret.Name, [new(PodPaths.HtpasswdKey, PodPaths.HtpasswdKey)],
                    DefaultMode: PodSecurity.SecretMode),
                new("tmp", VolumeKind.EmptyDir, SizeLimit: TmpSize),
            ],
            PodSecurity.Restricted, Planner.Resources(server.Resources), node, Planner.ServiceAccountName)
        {
            ContainerName = Component,
            Ports = [port],
        };
        // The server stops in a moment (an interrupted upload is retried by restic); Kubernetes' default period.
        var template = new PodTemplateModel(pod, "Always", 30, null);
        var wave = Planner.Wave(0);
        var units = ImmutableArray.Create(
            new RenderUnit("deployment.sbn", new DeploymentModel(new ObjectMeta(name, ns, labels, wave), selector, template), "repository.server"),
            new RenderUnit("service.sbn", new ServiceModel(new ObjectMeta(name, ns, labels, wave), selector, [port]), "repository.server"),
            // Only the backup-side pods of this environment may connect; the server itself connects nowhere.
            new RenderUnit("network-policy.sbn", new NetworkPolicyModel(new ObjectMeta(name, ns, labels, Planner.Wave(-1)), [])
            {
                PodLabels = selector,
                Ingress = [.. clientNamespaces.Distinct().Order(StringComparer.Ordinal)
                    .Select(n => new IngressRuleModel(n, ClientComponents, [new PortModel("TCP", server.Port)]))],
            }, "repository.server"));
        var htpasswd = new RequiredSecret(server.HtpasswdSecret.Name, "Opaque", [PodPaths.HtpasswdKey],
            "the REST server (htpasswd: one `<host>:<bcrypt hash>` line per host; no job mounts it)", ns);
        return (units, htpasswd);
    }
}
