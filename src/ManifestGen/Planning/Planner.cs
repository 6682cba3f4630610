using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;

namespace ManifestGen.Planning;

/// <summary>
/// Turns a validated inventory into the render model: object names, expanded schedules, job
/// configurations (the runner contract), volumes and mounts. Pure: no I/O.
/// </summary>
public static class Planner
{
    public const string ManagedBy = "manifestgen";
    /// <summary>The backup pod's volume holding the host key (a restore Job swaps its Secret or drops it).</summary>
    public const string SshKeyVolume = "ssh-key";
    private const string WaveAnnotation = "argocd.argoproj.io/sync-wave";
    private const string HookAnnotation = "argocd.argoproj.io/hook";
    private const string HookDeleteAnnotation = "argocd.argoproj.io/hook-delete-policy";
    private const string HelmHookAnnotation = "helm.sh/hook";
    private const string HelmHookWeightAnnotation = "helm.sh/hook-weight";
    private const string HelmHookDeleteAnnotation = "helm.sh/hook-delete-policy";
    /// <summary>Bound of the /tmp emptyDir: the ssh configuration, copies of keys, and a restore's staging folder.</summary>
    public const string TmpSize = "1Gi";

    /// <summary>
    /// Composes the per-concern planners in the order their objects are listed (the order the output keeps).
    /// Each planner reports the Secrets its pods need; the secrets planner renders and lists them last.
    /// </summary>
    public static EnvironmentPlan Plan(LoadedInventory loaded, List<Diagnostic> diagnostics)
    {
        var ctx = new PlanContext(loaded, diagnostics);
        var inv = ctx.Inv;
        var units = new List<RenderUnit>(ScopePlanner.Plan(ctx));
        var secrets = new List<RequiredSecret>(SecretsPlanner.ScopeSecrets(ctx));
        units.AddRange(RepositoryStoragePlanner.Prepare(ctx));
        // The append-only server and its objects; the pods that reach it get their host's credential.
        if (ctx.Server is { } server)
        {
            var (serverUnits, htpasswd) = RepositoryServerPlanner.Plan(ctx.Repo, server, ctx.Env, ctx.Ns, ctx.BaseLabels, ctx.Image,
                inv.Image.PullPolicy, ctx.ClaimName, ctx.Repo.Storage.Local?.Node, ctx.Apps.Select(ctx.ScopeOf).Append(ctx.Ns));
            units.AddRange(serverUnits);
            secrets.Add(htpasswd);
        }
        var init = MaintenancePlanner.Init(ctx);
        units.AddRange(init.Units);
        var (knownHostsUnits, hostSecrets) = KnownHostsPlanner.Plan(ctx);
        units.AddRange(knownHostsUnits);
        secrets.AddRange(hostSecrets);
        var backups = BackupPlanner.Plan(ctx);
        units.AddRange(backups.Units);
        var maintenance = MaintenancePlanner.Jobs(ctx, backups.Groups);
        units.AddRange(maintenance.Units);
        var copies = CopyPlanner.Plan(ctx, backups.Groups);
        units.AddRange(copies.Units);
        secrets.AddRange(copies.Secrets);
        var coverage = CoveragePlanner.Plan(ctx, backups);
        units.AddRange(coverage.Units);
        // Every job that reports, in the order its objects are listed: what the alerts, the dashboard and
        // the ping Secret expect.
        ImmutableArray<ExpectedJob> expected = [.. init.Expected, .. backups.Expected, .. maintenance.Expected, .. copies.Expected, .. coverage.Expected];
        units.AddRange(AlertsPlanner.Units(ctx, expected));
        secrets.AddRange(ReportingPlanner.PingSecrets(ctx, expected));
        units.AddRange(SecretsPlanner.Units(ctx, secrets));

        var manifestsPath = inv.GitOps.Path ?? $"out/{ctx.Env}/manifests";
        var hostFiles = inv.HostGate is not { } gate ? [] : inv.Hosts
            .SelectMany(h => HostGatePlan.Files(gate, h, backups.GatedApps.TryGetValue(h.Name, out var hostApps) ? hostApps : []))
            .ToImmutableArray();
        return new EnvironmentPlan(ctx.Env, ctx.Ns, manifestsPath, [.. units], Application(ctx, manifestsPath),
            SecretsPlanner.Merge(secrets), inv.Secrets.Mode)
        {
            HostFiles = hostFiles,
            Apps = backups.AppPods,
            Runbooks = copies.Runbooks,
        };
    }

    /// <summary>The Argo CD Application that syncs the environment's manifests folder into its namespace.</summary>
    private static RenderUnit Application(PlanContext ctx, string manifestsPath)
    {
        var gitOps = ctx.Inv.GitOps;
        var argo = gitOps.ArgoCd;
        return new RenderUnit("application.sbn", new ApplicationModel(
            Meta(argo.ApplicationName ?? Names.Environment(ManagedBy, ctx.Env), argo.Namespace, ctx.BaseLabels, []),
            argo.Project, gitOps.RepoUrl, gitOps.TargetRevision, manifestsPath, ctx.Ns,
            argo.Automated is not null, argo.Automated?.Prune ?? false, argo.Automated?.SelfHeal ?? false), "gitOps");
    }

    /// <summary>Name of each namespace's ServiceAccount and NetworkPolicy.</summary>
    public const string ServiceAccountName = "manifestgen-runner";

    /// <summary>Where the mirror claim is mounted for a host path: its parent folder, or the path itself directly under /.</summary>
    public static string MirrorMountPoint(string hostPath)
    {
        var path = hostPath.TrimEnd('/');
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? path : path[..slash];
    }

    public static string ImageReference(ImageSpec image) =>
        image.Repository + (image.Tag is null ? "" : ":" + image.Tag) + (image.Digest is null ? "" : "@" + image.Digest);

    internal static ResourcesModel Resources(ResourcesSpec r)
    {
        static ImmutableArray<KeyValue> Amounts(ResourceAmountsSpec? a) => a is null ? [] :
            [.. new[] { ("cpu", a.Cpu), ("ephemeral-storage", a.EphemeralStorage), ("memory", a.Memory) }
                .Where(x => x.Item2 is not null).Select(x => new KeyValue(x.Item1, x.Item2!))];
        return new ResourcesModel(Amounts(r.Requests), Amounts(r.Limits));
    }

    internal static ImmutableArray<KeyValue> Labels(params (string Key, string Value)[] labels) =>
        [.. labels.Select(l => new KeyValue(l.Key, l.Value))];

    internal static ImmutableArray<KeyValue> With(ImmutableArray<KeyValue> labels, params (string Key, string Value)[] more) =>
        [.. labels, .. more.Select(l => new KeyValue(l.Key, l.Value))];

    internal static ImmutableArray<KeyValue> Wave(int wave) => [new(WaveAnnotation, wave.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    // The same Jobs are hooks for both deployers. Argo CD reads its own annotations and ignores Helm's
    // when both are present. `helm install/upgrade` runs hooks by weight (= the sync wave, so the prepare
    // Job still runs before the init Job) and waits for each Job to finish. They are post-install and
    // post-upgrade hooks, not pre-*: a pre-install hook runs before any object of the release exists,
    // and both Jobs need the release's own objects (the namespace; the init Job also its claim and
    // ConfigMap), so on a first install they would wait for them until Helm's timeout.
    internal static ImmutableArray<KeyValue> Hook(int wave) =>
        [.. Wave(wave), new(HookAnnotation, "Sync"), new(HookDeleteAnnotation, "BeforeHookCreation"),
            new(HelmHookAnnotation, "post-install,post-upgrade"), new(HelmHookDeleteAnnotation, "before-hook-creation"),
            new(HelmHookWeightAnnotation, wave.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    internal static ObjectMeta Meta(string name, string? ns, ImmutableArray<KeyValue> labels, ImmutableArray<KeyValue> annotations) =>
        new(name, ns, labels, annotations);
}
