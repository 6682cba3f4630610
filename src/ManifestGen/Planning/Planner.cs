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
    private const string MirrorRoot = "mirror";
    private const string CacheSubPath = "restic-cache";
    /// <summary>Bound of the /tmp emptyDir: the ssh configuration, copies of keys, and a restore's staging folder.</summary>
    public const string TmpSize = "1Gi";

    public static EnvironmentPlan Plan(LoadedInventory loaded, List<Diagnostic> diagnostics)
    {
        var inv = loaded.Model;
        var env = loaded.Environment;
        var ns = inv.Namespace;
        var repo = inv.Repository;
        var units = new List<RenderUnit>();
        var secrets = new List<RequiredSecret>();
        var image = ImageReference(inv.Image);
        var baseLabels = Labels(("app.kubernetes.io/managed-by", ManagedBy), ("app.kubernetes.io/part-of", ManagedBy),
            ("manifestgen.io/environment", env));

        // Scopes: the environment's namespace, and a namespace of its own for sshfs apps (FUSE cannot run
        // under Pod Security restricted; it must not lower the level of every other pod). Each scope has its
        // Namespace, ServiceAccount, NetworkPolicy and a statically bound volume and claim onto the same
        // repository storage: a PersistentVolume binds exactly one claim (claimRef names its namespace).
        var apps = InventoryResolution.Apps(inv).ToList();
        var sshfsNamespace = Names.Join(Names.DnsLabelMax, ns, "sshfs");
        string ScopeOf(ResolvedApp app) => app.Strategy == TransferStrategy.Sshfs ? sshfsNamespace : ns;
        var scopes = new List<string> { ns };
        if (apps.Any(a => a.Strategy == TransferStrategy.Sshfs))
            scopes.Add(sshfsNamespace);
        var claimName = Names.Join(Names.DnsLabelMax, repo.Name);
        var repoLabels = With(baseLabels, ("app.kubernetes.io/component", "repository"));
        var nfs = repo.Storage.Nfs;
        var local = repo.Storage.Local;
        var server = repo.Server;
        foreach (var scope in scopes)
        {
            units.Add(new RenderUnit("namespace.sbn", new NamespaceModel(Meta(scope, null, baseLabels, Wave(-2))), "namespace"));
            units.Add(new RenderUnit("service-account.sbn", new ServiceAccountModel(Meta(ServiceAccountName, scope, baseLabels, Wave(-1))), "namespace"));
            // With a REST server, the environment's policy leaves the server's pods to the server's own policy.
            units.Add(new RenderUnit("network-policy.sbn", new NetworkPolicyModel(Meta(ServiceAccountName, scope, baseLabels, Wave(-1)),
                Egress(inv, env, scope == ns ? apps.Where(a => ScopeOf(a) == ns) : apps.Where(a => ScopeOf(a) != ns)))
            {
                ExceptComponents = server is not null && scope == ns ? [RepositoryServerPlanner.Component] : [],
            }, "networkPolicy"));
            var pvName = Names.Join(Names.DnsLabelMax, scope, repo.Name);
            units.Add(new RenderUnit("persistent-volume.sbn", new PersistentVolumeModel(
                Meta(pvName, null, repoLabels, Wave(0)), repo.Capacity, repo.StorageClassName, repo.AccessModes, scope, claimName,
                nfs is null ? null : new NfsSource(nfs.Server, nfs.Path), nfs?.MountOptions ?? [], local?.Path, local?.Node),
                "repository.storage"));
            units.Add(new RenderUnit("persistent-volume-claim.sbn", new PersistentVolumeClaimModel(
                Meta(claimName, scope, repoLabels, Wave(0)), repo.Capacity, repo.StorageClassName, repo.AccessModes, pvName),
                "repository"));
        }

        var passwordKey = repo.PasswordSecret.Key;
        foreach (var scope in scopes)
            secrets.Add(new RequiredSecret(repo.PasswordSecret.Name, "Opaque", [passwordKey], "every job (restic repository password)", scope));
        var repositoryConfig = new RepositoryConfig
        {
            Location = PodPaths.RepositoryMount,
            PasswordFile = PodPaths.ResticPasswordDir + "/" + passwordKey,
            CacheDir = PodPaths.CacheDir,
            RetryLockSeconds = repo.RetryLockSeconds,
        };
        var defaultResources = inv.Defaults.Resources;
        var ping = inv.Reporting.PingUrlSecret;
        if (ping is not null)
            foreach (var scope in scopes)
                secrets.Add(new RequiredSecret(ping.Name, "Opaque", [ping.Key], "backup jobs (ping URL)", scope));
        var reporting = new ReportingConfig
        {
            PingUrlFile = ping is null ? null : PodPaths.PingUrlDir + "/" + ping.Key,
            PushgatewayUrl = inv.Reporting.PushgatewayUrl,
        };

        // The NFS export root exists; the repository directory below it may not. A Sync hook ordered
        // before the volume (wave -1) creates it, idempotently, on every sync.
        if (nfs is not null)
        {
            var relative = Path.GetRelativePath(nfs.ExportRoot, nfs.Path).Replace('\\', '/');
            const string exportMount = "/export";
            var target = relative is "." ? exportMount : exportMount + "/" + relative;
            var prepareName = Names.Join(Names.DnsLabelMax, repo.Name, "prepare");
            var prepareLabels = With(baseLabels, ("app.kubernetes.io/component", "prepare"));
            // The export root reaches the Job through a statically bound volume and claim of its own, not an
            // inline nfs volume (Pod Security restricted allows claims, not nfs). The Job runs as the pods'
            // user: the export root must be writable by it, and the folder it creates is then its own.
            var exportClaim = Names.Join(Names.DnsLabelMax, repo.Name, "export");
            var exportVolume = Names.Join(Names.DnsLabelMax, ns, repo.Name, "export");
            units.Add(new RenderUnit("persistent-volume.sbn", new PersistentVolumeModel(
                Meta(exportVolume, null, prepareLabels, Wave(-2)), repo.Capacity, repo.StorageClassName, repo.AccessModes, ns, exportClaim,
                new NfsSource(nfs.Server, nfs.ExportRoot), nfs.MountOptions, null, null), "repository.storage.nfs"));
            units.Add(new RenderUnit("persistent-volume-claim.sbn", new PersistentVolumeClaimModel(
                Meta(exportClaim, ns, prepareLabels, Wave(-2)), repo.Capacity, repo.StorageClassName, repo.AccessModes, exportVolume),
                "repository.storage.nfs"));
            var pod = new PodModel(prepareLabels, image, inv.Image.PullPolicy, ["mkdir"], ["-p", target], [],
                [new MountModel("export", exportMount, null, false)],
                [new VolumeModel("export", VolumeKind.Claim, exportClaim)],
                PodSecurity.Restricted,
                Resources(new ResourcesSpec { Requests = new() { Cpu = "10m", Memory = "16Mi" }, Limits = new() { Memory = "64Mi" } }),
                null, ServiceAccountName);
            units.Add(new RenderUnit("job.sbn", new JobModel(
                Meta(prepareName, ns, prepareLabels, Hook(-1)), new JobSpecModel(300, 2, pod)), "repository.storage.nfs"));
        }

        // The append-only server and its objects (its own planner); the pods that reach it get their host's credential.
        if (server is not null)
        {
            var (serverUnits, htpasswd) = RepositoryServerPlanner.Plan(repo, server, env, ns, baseLabels, image, inv.Image.PullPolicy,
                claimName, local?.Node, apps.Select(ScopeOf).Append(ns));
            units.AddRange(serverUnits);
            secrets.Add(htpasswd);
        }
        // Jobs that mount the repository volume: without a server every job; with one, init, forget, prune and check only.
        string Repository(string? host) => server is null || host is null ? PodPaths.RepositoryMount : PodPaths.RepositoryMount + "/" + Names.RestUser(host);

        // Pieces every runner pod has (a backup pod behind the REST server does not mount the volume).
        var cacheVolume = new VolumeModel("restic-cache", VolumeKind.EmptyDir, SizeLimit: repo.CacheSize);
        VolumeModel[] CommonVolumes(string configMap, bool repositoryVolume) =>
        [
            new("job-config", VolumeKind.ConfigMap, configMap, [new(PodPaths.JobConfigFileName, PodPaths.JobConfigFileName)]),
            new("restic-password", VolumeKind.Secret, repo.PasswordSecret.Name, [new(passwordKey, passwordKey)], DefaultMode: PodSecurity.SecretMode),
            .. repositoryVolume ? [new VolumeModel("repository", VolumeKind.Claim, claimName)] : Array.Empty<VolumeModel>(),
            new("tmp", VolumeKind.EmptyDir, SizeLimit: TmpSize),
        ];
        MountModel[] CommonMounts(bool repositoryVolume) =>
        [
            new("job-config", PodPaths.JobConfigDir, null, true),
            new("restic-password", PodPaths.ResticPasswordDir, null, true),
            .. repositoryVolume ? [new MountModel("repository", PodPaths.RepositoryMount, null, false)] : Array.Empty<MountModel>(),
            new("tmp", PodPaths.TmpDir, null, false),
        ];
        ImmutableArray<KeyValue> RunnerEnv() => [new(PodPaths.JobConfigEnv, PodPaths.JobConfigFile), new("HOME", PodPaths.TmpDir)];

        RenderUnit ConfigUnit(string name, string configNamespace, ImmutableArray<KeyValue> labels, JobConfig config, string source) =>
            new("config-map.sbn", new ConfigMapModel(Meta(name, configNamespace, labels, Wave(0)),
                [new(PodPaths.JobConfigFileName, JobConfigJson.Serialize(config))]), source);

        PodModel RunnerPod(ImmutableArray<KeyValue> labels, string command, string configMap, IEnumerable<VolumeModel> extraVolumes,
            IEnumerable<MountModel> extraMounts, SecurityModel security, ResourcesSpec resources, bool repositoryVolume = true) =>
            new(labels, image, inv.Image.PullPolicy, ["manifestgen-runner"], [command], RunnerEnv(),
                [.. CommonMounts(repositoryVolume), .. extraMounts], [.. CommonVolumes(configMap, repositoryVolume), .. extraVolumes], security,
                Resources(resources), local?.Node, ServiceAccountName);

        // Repository initialisation: idempotent (the runner initialises only a missing repository),
        // a Sync hook after the volume and claim (wave 1). With a REST server, one per host's repository.
        foreach (var initHost in server is null ? [null] : inv.Hosts.Select(h => (string?)h.Name))
        {
            var name = Names.Init(repo.Name, initHost);
            var labels = initHost is null ? With(baseLabels, ("app.kubernetes.io/component", "init"))
                : With(baseLabels, ("app.kubernetes.io/component", "init"), ("manifestgen.io/host", initHost));
            units.Add(ConfigUnit(name, ns, labels, new JobConfig
            {
                Version = JobConfig.CurrentVersion, Kind = JobKind.Init, Environment = env,
                Repository = repositoryConfig with { Location = Repository(initHost) },
            }, "repository"));
            var pod = RunnerPod(labels, "init", name, [cacheVolume], [new("restic-cache", PodPaths.CacheDir, null, false)],
                PodSecurity.Restricted, defaultResources);
            units.Add(new RenderUnit("job.sbn", new JobModel(Meta(name, ns, labels, Hook(1)),
                new JobSpecModel(1800, 2, pod)), "repository"));
        }

        // One known_hosts ConfigMap per host and namespace its apps run in, from the pinned keys.
        foreach (var (host, h) in inv.Hosts.Select((x, i) => (x, i)))
        {
            var hostPattern = host.Port == 22 ? host.Address : $"[{host.Address}]:{host.Port}";
            var content = string.Concat(host.HostKeys.Select(k => $"{hostPattern} {k.Trim()}\n"));
            var hostScopes = apps.Where(a => a.Host == host).Select(ScopeOf).Distinct().DefaultIfEmpty(ns);
            foreach (var scope in hostScopes)
            {
                units.Add(new RenderUnit("config-map.sbn", new ConfigMapModel(
                    Meta(Names.KnownHosts(host.Name), scope,
                        With(baseLabels, ("app.kubernetes.io/component", "known-hosts"), ("manifestgen.io/host", host.Name)), Wave(0)),
                    [new(PodPaths.KnownHostsFileName, content)]), $"hosts[{h}].hostKeys"));
                secrets.Add(new RequiredSecret(host.SshKeySecret.Name, "kubernetes.io/ssh-auth", [PodPaths.SshKeyFileName],
                    $"backups of host {host.Name} (SSH private key)", scope));
                if (server is not null)
                    secrets.Add(RepositoryServerPlanner.CredentialSecret(repo, host.Name, scope));
            }
            // Behind the gate the backup key only reads; restoring needs its own key, which no CronJob mounts.
            if (inv.HostGate is not null)
                secrets.Add(new RequiredSecret(HostGatePlan.RestoreKeySecretName(host), "kubernetes.io/ssh-auth", [PodPaths.SshKeyFileName],
                    $"restore Jobs of host {host.Name} (SSH private key with write access; never mounted by a CronJob)", ns));
        }

        var groups = new List<RetentionGroup>();
        var gate = inv.HostGate;
        var gatedApps = new Dictionary<string, List<JobConfig>>(StringComparer.Ordinal);
        var appPods = new List<AppPod>();
        var alerted = new List<AlertedApp>();
        foreach (var app in apps)
        {
            var host = app.Host;
            var appNs = ScopeOf(app);
            var baseName = Names.Backup(host.Name, app.App.Name);
            var labels = With(baseLabels, ("app.kubernetes.io/component", "backup"), ("manifestgen.io/host", host.Name),
                ("manifestgen.io/app", app.App.Name));
            groups.Add(new RetentionGroup { Host = host.Name, App = app.App.Name, Policy = Policy(app.Retention) });

            var appConfig = AppConfigOf(app);
            var backupConfig = new JobConfig
            {
                Version = JobConfig.CurrentVersion,
                Kind = JobKind.Backup,
                Environment = env,
                ActiveDeadlineSeconds = app.ActiveDeadlineSeconds,
                Repository = server is null ? repositoryConfig : RepositoryServerPlanner.ForBackup(repositoryConfig, repo, server, ns, host.Name),
                Reporting = reporting,
                Host = new HostConfig
                {
                    Name = host.Name,
                    Address = host.Address,
                    Port = host.Port,
                    User = host.User,
                    IdentityFile = PodPaths.SshKeyDir + "/" + PodPaths.SshKeyFileName,
                    KnownHostsFile = PodPaths.KnownHostsDir + "/" + PodPaths.KnownHostsFileName,
                    Gated = gate is not null,
                },
                App = appConfig,
            };
            // The gate's allow-list is decided from the same configuration the runner reads.
            if (gate is not null)
            {
                if (!gatedApps.TryGetValue(host.Name, out var list)) gatedApps[host.Name] = list = [];
                list.Add(backupConfig);
            }
            units.Add(ConfigUnit(baseName, appNs, labels, backupConfig, app.Path));

            var volumes = new List<VolumeModel>
            {
                new("known-hosts", VolumeKind.ConfigMap, Names.KnownHosts(host.Name),
                    [new(PodPaths.KnownHostsFileName, PodPaths.KnownHostsFileName)]),
                new(SshKeyVolume, VolumeKind.Secret, host.SshKeySecret.Name, [new(PodPaths.SshKeyFileName, PodPaths.SshKeyFileName)], DefaultMode: PodSecurity.SecretMode),
            };
            var mounts = new List<MountModel>
            {
                new("known-hosts", PodPaths.KnownHostsDir, null, true),
                new(SshKeyVolume, PodPaths.SshKeyDir, null, true),
            };
            if (ping is not null)
            {
                volumes.Add(new("ping-url", VolumeKind.Secret, ping.Name, [new(ping.Key, ping.Key)], DefaultMode: PodSecurity.SecretMode));
                mounts.Add(new("ping-url", PodPaths.PingUrlDir, null, true));
            }
            if (server is not null)
            {
                var (credentialVolume, credentialMount) = RepositoryServerPlanner.Credential(repo, host.Name);
                volumes.Add(credentialVolume);
                mounts.Add(credentialMount);
            }
            SecurityModel security;
            switch (app.Strategy)
            {
                case TransferStrategy.Rsync:
                {
                    // The mirror persists between runs so inodes stay stable and restic reads only changed
                    // files; each host path is mounted at the host's own absolute path, so snapshot paths
                    // equal the host's. The restic cache lives on the same claim.
                    var mirror = Names.Mirror(host.Name, app.App.Name);
                    units.Add(new RenderUnit("persistent-volume-claim.sbn", new PersistentVolumeClaimModel(
                        Meta(mirror, appNs, labels, Wave(0)), app.MirrorSize, inv.Defaults.MirrorStorageClassName, ["ReadWriteOnce"], null),
                        app.Path));
                    volumes.Add(new("mirror", VolumeKind.Claim, mirror));
                    // Each path's parent folder is mounted, not the path: the kubelet creates a mount point
                    // owned by root, and rsync (as the pods' user) must own the folder it sets times, modes
                    // and xattrs on. A path directly under / has no other mount point than itself.
                    mounts.AddRange(app.App.Paths.Select(MirrorMountPoint).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                        .Select(p => new MountModel("mirror", p, MirrorRoot + p, false)));
                    mounts.Add(new("mirror", PodPaths.CacheDir, CacheSubPath, false));
                    // rsync keeps owners, modes and devices in xattrs (--fake-super): no capability needed.
                    security = PodSecurity.Restricted;
                    break;
                }
                case TransferStrategy.Sshfs:
                    // FUSE mount points at the host's own paths; the root filesystem is read-only.
                    volumes.Add(cacheVolume);
                    volumes.Add(new("sshfs-mountpoints", VolumeKind.EmptyDir, SizeLimit: PodSecurity.MountPointsSize));
                    mounts.Add(new("restic-cache", PodPaths.CacheDir, null, false));
                    mounts.AddRange(app.App.Paths.Select((p, i) => new MountModel("sshfs-mountpoints", p, $"path-{i}", false)));
                    security = PodSecurity.Sshfs(app.App.Privileged);
                    break;
                default:
                    volumes.Add(cacheVolume);
                    mounts.Add(new("restic-cache", PodPaths.CacheDir, null, false));
                    security = PodSecurity.Restricted;
                    break;
            }

            var pod = RunnerPod(labels, "backup", baseName, volumes, mounts, security, app.Resources, repositoryVolume: server is null);
            appPods.Add(new AppPod(host.Name, app.App.Name, appNs, app.App.Paths, pod, app.ActiveDeadlineSeconds)
            {
                RestoreKeySecret = gate is null ? null : HostGatePlan.RestoreKeySecretName(host),
            });
            // The restore drill runs in the backup's own pod (its configuration, Secrets and mounts), with
            // the runner's `drill` command; shared lock only, so it may overlap backups.
            if (inv.Maintenance.Drill is { Enabled: true } drill)
            {
                var drillName = Names.Join(Names.CronJobMax, "drill", host.Name, app.App.Name);
                var drillLabels = labels.Select(l => l.Key == "app.kubernetes.io/component" ? l with { Value = "drill" } : l).ToImmutableArray();
                var drillPod = pod with
                {
                    Labels = drillLabels,
                    Args = ["drill", "--sample", drill.SampleFiles.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                };
                var drillSchedule = ExpandSchedule(drill.Schedule, $"{host.Name}/{app.App.Name}/drill",
                    loaded.SourceMap.SpanOf("maintenance.drill.schedule"), diagnostics);
                units.Add(new RenderUnit("cron-job.sbn", new CronJobModel(
                    Meta(drillName, appNs, drillLabels, Wave(2)), drillSchedule, drill.TimeZone ?? inv.Defaults.TimeZone,
                    inv.Defaults.StartingDeadlineSeconds, inv.Defaults.SuccessfulJobsHistoryLimit, inv.Defaults.FailedJobsHistoryLimit,
                    new JobSpecModel(drill.ActiveDeadlineSeconds, 0, drillPod) { Hostname = drillName }), "maintenance.drill"));
            }
            var schedule = ExpandSchedule(app.Schedule, Names.BackupSeed(host.Name, app.App.Name),
                loaded.SourceMap.SpanOf(app.PathOf("schedule", loaded.SourceMap)), diagnostics);
            alerted.Add(new AlertedApp(host.Name, app.App.Name, schedule, app.TimeZone, inv.Defaults.StartingDeadlineSeconds, app.ActiveDeadlineSeconds));
            units.Add(new RenderUnit("cron-job.sbn", new CronJobModel(
                Meta(baseName, appNs, labels, Wave(2)),
                schedule, app.TimeZone, inv.Defaults.StartingDeadlineSeconds, inv.Defaults.SuccessfulJobsHistoryLimit,
                inv.Defaults.FailedJobsHistoryLimit, new JobSpecModel(app.ActiveDeadlineSeconds, inv.Defaults.BackoffLimit, pod) { Hostname = baseName }),
                app.Path));
        }

        // Maintenance: forget, prune and check; each its own job, because they take restic's exclusive
        // lock. Forget runs once per host over that host's app groups: one job over every app would hold a
        // configuration that grows with the inventory, and a ConfigMap may hold at most 1 MiB. Prune reads
        // the whole repository, so it runs once, in a job of its own, not once per host: per-host prunes
        // would repeat that work and queue on the exclusive lock longer than --retry-lock waits.
        // With a REST server every host has a repository of its own: its forget job also prunes it (nothing
        // else shares its packs), and its check job checks it.
        var maintenance = inv.Maintenance;
        foreach (var hostGroups in groups.GroupBy(g => g.Host, StringComparer.Ordinal))
            AddMaintenance("maintain", Names.Maintain(repo.Name, hostGroups.Key), hostGroups.Key, JobKind.Maintain,
                maintenance.Forget.Schedule, maintenance.Forget.TimeZone,
                maintenance.Forget.ActiveDeadlineSeconds, maintenance.Forget.Resources,
                new MaintenanceConfig { Groups = [.. hostGroups], Prune = server is not null && maintenance.Forget.Prune }, "maintenance.forget");
        if (maintenance.Forget.Prune && server is null)
            AddMaintenance("prune", Names.Prune(repo.Name), null, JobKind.Maintain,
                maintenance.Forget.Schedule, maintenance.Forget.TimeZone,
                maintenance.Forget.ActiveDeadlineSeconds, maintenance.Forget.Resources,
                new MaintenanceConfig { Groups = [], Prune = true }, "maintenance.forget");
        if (maintenance.Check.Enabled)
            foreach (var checkHost in server is null ? [null] : groups.Select(g => (string?)g.Host).Distinct())
                AddMaintenance("check", Names.Check(repo.Name, checkHost), checkHost, JobKind.Check,
                    maintenance.Check.Schedule, maintenance.Check.TimeZone,
                    maintenance.Check.ActiveDeadlineSeconds, maintenance.Check.Resources,
                    new MaintenanceConfig { ReadDataSubset = maintenance.Check.ReadDataSubset }, "maintenance.check");

        void AddMaintenance(string command, string name, string? host, JobKind kind, string scheduleText, string? timeZone, int deadline,
            ResourcesSpec? resources, MaintenanceConfig config, string path)
        {
            var labels = host is null
                ? With(baseLabels, ("app.kubernetes.io/component", command))
                : With(baseLabels, ("app.kubernetes.io/component", command), ("manifestgen.io/host", host));
            units.Add(ConfigUnit(name, ns, labels, new JobConfig
            {
                Version = JobConfig.CurrentVersion, Kind = kind, Environment = env, Maintenance = config,
                Repository = repositoryConfig with { Location = Repository(host) },
                ActiveDeadlineSeconds = deadline,
            }, path));
            // `command` names the job (label, schedule seed); the runner's command follows from the kind.
            var runnerCommand = kind == JobKind.Check ? "check" : "maintain";
            var pod = RunnerPod(labels, runnerCommand, name, [cacheVolume], [new("restic-cache", PodPaths.CacheDir, null, false)],
                PodSecurity.Restricted, resources ?? defaultResources);
            var schedule = ExpandSchedule(scheduleText, Names.MaintenanceSeed(repo.Name, command, host), loaded.SourceMap.SpanOf(path + ".schedule"), diagnostics);
            units.Add(new RenderUnit("cron-job.sbn", new CronJobModel(Meta(name, ns, labels, Wave(2)), schedule,
                timeZone ?? inv.Defaults.TimeZone, inv.Defaults.StartingDeadlineSeconds, inv.Defaults.SuccessfulJobsHistoryLimit,
                inv.Defaults.FailedJobsHistoryLimit, new JobSpecModel(deadline, 0, pod) { Hostname = name }), path));
        }

        // Alerts and dashboard over the metrics the jobs push (opt-in: they need the Prometheus Operator and
        // a pushgateway the jobs reach).
        if (inv.Reporting.Alerts is { Enabled: true } alerts)
        {
            var alertLabels = With(baseLabels, [("app.kubernetes.io/component", "alerts"), .. alerts.RuleLabels.Select(l => (l.Key, l.Value))]);
            units.Add(new RenderUnit("prometheus-rule.sbn", AlertsPlanner.Rules(
                Meta(Names.Join(Names.DnsLabelMax, ManagedBy, env), ns, alertLabels, Wave(2)), [.. alerted],
                inv.Maintenance.Drill.Enabled, maintenance.Check.Enabled), "reporting.alerts"));
            if (alerts.Dashboard)
                units.Add(new RenderUnit("config-map.sbn", new ConfigMapModel(
                    Meta(Names.Join(Names.DnsLabelMax, ManagedBy, "dashboard", env), ns,
                        With(baseLabels, ("app.kubernetes.io/component", "dashboard"), ("grafana_dashboard", "1")), Wave(2)),
                    [new($"manifestgen-{env}.json", AlertsPlanner.Dashboard(env))]), "reporting.alerts.dashboard"));
        }

        // Secrets: referenced (nothing rendered), sealed or external.
        var secretLabels = With(baseLabels, ("app.kubernetes.io/component", "secret"));
        switch (inv.Secrets.Mode)
        {
            case SecretsMode.Sealed:
                var encrypted = inv.Secrets.Sealed?.EncryptedData ?? ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Empty;
                // Sealed data is encrypted for one namespace: only the environment's namespace gets it.
                foreach (var secret in secrets.Where(s => s.Namespace == ns && encrypted.ContainsKey(s.Name)).DistinctBy(s => s.Name))
                    units.Add(new RenderUnit("sealed-secret.sbn", new SealedSecretModel(Meta(secret.Name, ns, secretLabels, Wave(-1)), secret.Type,
                        [.. encrypted[secret.Name].Select(kv => new KeyValue(kv.Key, kv.Value))]), "secrets.sealed.encryptedData." + secret.Name));
                break;
            case SecretsMode.External when inv.Secrets.External is { } external:
                foreach (var secret in secrets.Where(s => external.RemoteRefs.ContainsKey(s.Name)).DistinctBy(s => (s.Namespace, s.Name)))
                    units.Add(new RenderUnit("external-secret.sbn", new ExternalSecretModel(Meta(secret.Name, secret.Namespace, secretLabels, Wave(-1)),
                        secret.Type, external.StoreName, external.StoreKind, external.RefreshInterval,
                        [.. external.RemoteRefs[secret.Name].Select(kv => new KeyValue(kv.Key, kv.Value))]), "secrets.external.remoteRefs." + secret.Name));
                break;
        }

        var manifestsPath = inv.GitOps.Path ?? $"out/{env}/manifests";
        var argo = inv.GitOps.ArgoCd;
        var application = new RenderUnit("application.sbn", new ApplicationModel(
            Meta(argo.ApplicationName ?? Names.Join(Names.DnsLabelMax, ManagedBy, env), argo.Namespace, baseLabels, []),
            argo.Project, inv.GitOps.RepoUrl, inv.GitOps.TargetRevision, manifestsPath, ns,
            argo.Automated is not null, argo.Automated?.Prune ?? false, argo.Automated?.SelfHeal ?? false), "gitOps");

        var merged = secrets.GroupBy(s => (s.Namespace, s.Name))
            .Select(g => g.First() with { Keys = [.. g.SelectMany(s => s.Keys).Distinct().Order(StringComparer.Ordinal)],
                UsedBy = string.Join("; ", g.Select(s => s.UsedBy).Distinct()) })
            .OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal);
        var hostFiles = gate is null ? [] : inv.Hosts
            .SelectMany(h => HostGatePlan.Files(gate, h, gatedApps.TryGetValue(h.Name, out var hostApps) ? hostApps : []))
            .ToImmutableArray();
        return new EnvironmentPlan(env, ns, manifestsPath, [.. units], application, [.. merged], inv.Secrets.Mode)
        {
            HostFiles = hostFiles,
            Apps = [.. appPods],
        };
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
            var cidrs = host.EgressCidrs.IsEmpty && System.Net.IPAddress.TryParse(host.Address, out var ip)
                ? [host.Address + (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "/128" : "/32")]
                : host.EgressCidrs;
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

    private static string ExpandSchedule(string schedule, string seed, SourceSpan at, List<Diagnostic> diagnostics)
    {
        var expanded = Schedules.Expand(schedule, seed, out var error);
        if (expanded is not null)
            return expanded;
        diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.ScheduleNotExpandable, at, error!));
        return schedule;
    }

    public static string ImageReference(ImageSpec image) =>
        image.Repository + (image.Tag is null ? "" : ":" + image.Tag) + (image.Digest is null ? "" : "@" + image.Digest);

    /// <summary>The runner's view of an app; the same record decides the host gate's allow-list.</summary>
    private static AppConfig AppConfigOf(ResolvedApp app) => new()
    {
        Name = app.App.Name,
        Paths = app.App.Paths,
        Excludes = app.App.Excludes,
        Strategy = app.Strategy,
        Tags = app.App.Tags,
        PartialIsFailure = app.App.PartialIsFailure,
        TransferTimeoutSeconds = app.App.TransferTimeoutSeconds,
        ChangedFileRecopies = app.App.ChangedFileRecopies,
        ChangedFileIsFailure = app.App.ChangedFileIsFailure,
        ChecksumIntervalDays = app.App.ChecksumIntervalDays,
        Hooks = new HooksConfig
        {
            Before = [.. app.App.Hooks.Before.Select(Hook)],
            After = [.. app.App.Hooks.After.Select(Hook)],
            StopServices = app.App.Hooks.StopServices,
            ComposeDirectory = app.App.Hooks.ComposeDirectory
                ?? (app.App.Hooks.StopServices.IsEmpty ? null : app.App.Paths.FirstOrDefault()),
            Dumps = [.. app.App.Hooks.Dumps.Select(d => new DumpStream
            {
                Name = d.Name, Command = d.Command, FileName = d.FileName, TimeoutSeconds = d.TimeoutSeconds,
            })],
        },
    };

    private static HookCommand Hook(HookSpec h) => new() { Run = h.Run, TimeoutSeconds = h.TimeoutSeconds };

    private static RetentionPolicy Policy(RetentionSpec r) => new()
    {
        KeepLast = r.Last, KeepHourly = r.Hourly, KeepDaily = r.Daily, KeepWeekly = r.Weekly, KeepMonthly = r.Monthly,
        KeepYearly = r.Yearly, KeepWithin = r.Within, KeepTags = r.Tags,
    };

    internal static ResourcesModel Resources(ResourcesSpec r)
    {
        static ImmutableArray<KeyValue> Amounts(ResourceAmountsSpec? a) => a is null ? [] :
            [.. new[] { ("cpu", a.Cpu), ("ephemeral-storage", a.EphemeralStorage), ("memory", a.Memory) }
                .Where(x => x.Item2 is not null).Select(x => new KeyValue(x.Item1, x.Item2!))];
        return new ResourcesModel(Amounts(r.Requests), Amounts(r.Limits));
    }

    private static ImmutableArray<KeyValue> Labels(params (string Key, string Value)[] labels) =>
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
    private static ImmutableArray<KeyValue> Hook(int wave) =>
        [.. Wave(wave), new(HookAnnotation, "Sync"), new(HookDeleteAnnotation, "BeforeHookCreation"),
            new(HelmHookAnnotation, "post-install,post-upgrade"), new(HelmHookDeleteAnnotation, "before-hook-creation"),
            new(HelmHookWeightAnnotation, wave.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static ObjectMeta Meta(string name, string? ns, ImmutableArray<KeyValue> labels, ImmutableArray<KeyValue> annotations) =>
        new(name, ns, labels, annotations);
}
