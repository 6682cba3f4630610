using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Inventory;
using static ManifestGen.Planning.Planner;

namespace ManifestGen.Planning;

/// <summary>What the per-app backups decide for the rest of the plan besides their own objects.</summary>
internal sealed record BackupPlan(
    ImmutableArray<RenderUnit> Units,
    ImmutableArray<RetentionGroup> Groups,
    ImmutableDictionary<string, ImmutableArray<JobConfig>> GatedApps,
    ImmutableArray<AppPod> AppPods,
    ImmutableArray<ExpectedJob> Expected)
{
    /// <summary>
    /// Each host's backup configurations as their ConfigMaps hold them (allow-list versions included), in
    /// the inventory's order: a coverage job compares its host with exactly these apps.
    /// </summary>
    public ImmutableDictionary<string, ImmutableArray<JobConfig>> Configs { get; init; } =
        ImmutableDictionary<string, ImmutableArray<JobConfig>>.Empty;
}

/// <summary>
/// One backup per app: its job configuration (the runner contract), its CronJob, the pod's volumes and
/// mounts for its transfer strategy, and its restore drill. The same configuration decides the host
/// gate's allow-list, the pod is what a restore Job starts from, and the backup and drill jobs are what
/// the alerts expect, so all three are returned with the objects.
/// </summary>
internal static class BackupPlanner
{
    private const string MirrorRoot = "mirror";
    private const string CacheSubPath = "restic-cache";

    public static BackupPlan Plan(PlanContext ctx)
    {
        var inv = ctx.Inv;
        var repo = ctx.Repo;
        var server = ctx.Server;
        var gate = inv.HostGate;
        var units = new List<RenderUnit>();
        var groups = new List<RetentionGroup>();
        var gatedApps = new Dictionary<string, List<JobConfig>>(StringComparer.Ordinal);
        var appPods = new List<AppPod>();
        var expected = new List<ExpectedJob>();
        var rendered = new Dictionary<string, List<JobConfig>>(StringComparer.Ordinal);
        // The configurations first: a host's allow-lists are decided by all of its apps' configurations, and
        // each configuration carries the versions of its host's allow-lists.
        var configs = ctx.Apps.Select(app => Config(ctx, app, gate is not null)).ToList();
        if (gate is not null)
            foreach (var (app, config) in ctx.Apps.Zip(configs))
            {
                if (!gatedApps.TryGetValue(app.Host.Name, out var list)) gatedApps[app.Host.Name] = list = [];
                list.Add(config);
            }
        var allowLists = gate is null ? ImmutableDictionary<string, GateAllowLists>.Empty : inv.Hosts.Where(h => gatedApps.ContainsKey(h.Name))
            .ToImmutableDictionary(h => h.Name, h => HostGatePlan.AllowLists(ctx.Env, gate, h, gatedApps[h.Name]), StringComparer.Ordinal);
        foreach (var (app, config) in ctx.Apps.Zip(configs))
        {
            var host = app.Host;
            var appNs = ctx.ScopeOf(app);
            var baseName = Names.Backup(host.Name, app.App.Name);
            var labels = With(ctx.BaseLabels, ("app.kubernetes.io/component", "backup"), ("manifestgen.io/host", host.Name),
                ("manifestgen.io/app", app.App.Name));
            var drillName = inv.Maintenance.Drill.Enabled ? Names.Drill(host.Name, app.App.Name) : null;
            groups.Add(new RetentionGroup { Host = host.Name, App = app.App.Name, Policy = Policy(app.Retention) });
            var backupConfig = allowLists.TryGetValue(host.Name, out var lists) ? config with { Host = config.Host! with { AllowLists = lists } } : config;
            units.Add(ctx.ConfigUnit(baseName, appNs, labels, backupConfig, app.Path));
            (rendered.TryGetValue(host.Name, out var hostConfigs) ? hostConfigs : rendered[host.Name] = []).Add(backupConfig);

            var (volumes, mounts) = HostAccess(host);
            if (ReportingPlanner.PingMount(ctx, baseName, JobRole.Backup) is var (pingVolume, pingMount))
            {
                volumes.Add(pingVolume);
                mounts.Add(pingMount);
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
                    volumes.Add(ctx.CacheVolume);
                    volumes.Add(new("sshfs-mountpoints", VolumeKind.EmptyDir, SizeLimit: PodSecurity.MountPointsSize));
                    mounts.Add(ctx.CacheMount);
                    mounts.AddRange(app.App.Paths.Select((p, i) => new MountModel("sshfs-mountpoints", p, $"path-{i}", false)));
                    security = PodSecurity.Sshfs(app.App.Privileged);
                    break;
                default:
                    volumes.Add(ctx.CacheVolume);
                    mounts.Add(ctx.CacheMount);
                    security = PodSecurity.Restricted;
                    break;
            }

            // Behind the REST server the backup pod does not mount the repository volume.
            var pod = ctx.RunnerPod(labels, "backup", baseName, volumes, mounts, security, app.Resources,
                server is null ? RepositoryAccess.VolumeAndPassword : RepositoryAccess.PasswordOnly);
            appPods.Add(new AppPod(host.Name, app.App.Name, appNs, app.App.Paths, pod, app.ActiveDeadlineSeconds)
            {
                RestoreKeySecret = gate is null ? null : HostGatePlan.RestoreKeySecretName(host),
                StagingSize = app.MirrorSize,
                StagingStorageClassName = inv.Defaults.MirrorStorageClassName,
                Dumps = [.. app.App.Hooks.Dumps.Select(d => d.Name)],
                Copies = [.. ctx.Repo.Copies.Select(c => CopyPlanner.Access(ctx, c))],
            });
            var schedule = ctx.ScheduleOf(baseName);
            expected.Add(new ExpectedJob(baseName, JobRole.Backup, appNs, host.Name, app.App.Name, schedule, app.TimeZone,
                inv.Defaults.StartingDeadlineSeconds, app.ActiveDeadlineSeconds));
            if (drillName is not null)
            {
                var (drillUnit, drillJob) = Drill(ctx, inv.Maintenance.Drill, drillName, app, appNs, labels, pod);
                units.Add(drillUnit);
                expected.Add(drillJob);
            }
            units.Add(new RenderUnit("cron-job.sbn", new CronJobModel(
                Meta(baseName, appNs, labels, Wave(2)),
                schedule, app.TimeZone, inv.Defaults.StartingDeadlineSeconds, inv.Defaults.SuccessfulJobsHistoryLimit,
                inv.Defaults.FailedJobsHistoryLimit, new JobSpecModel(app.ActiveDeadlineSeconds, inv.Defaults.BackoffLimit, pod) { Hostname = baseName }),
                app.Path));
        }
        return new BackupPlan([.. units], [.. groups],
            gatedApps.ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToImmutableArray(), StringComparer.Ordinal),
            [.. appPods], [.. expected])
        {
            Configs = rendered.ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToImmutableArray(), StringComparer.Ordinal),
        };
    }


    /// <summary>
    /// What a pod needs to reach a host over SSH: its pinned known_hosts and the backup key. The backup and
    /// coverage pods of a host get exactly these.
    /// </summary>
    internal static (List<VolumeModel> Volumes, List<MountModel> Mounts) HostAccess(HostSpec host) =>
    (
        [
            new("known-hosts", VolumeKind.ConfigMap, Names.KnownHosts(host.Name), [new(PodPaths.KnownHostsFileName, PodPaths.KnownHostsFileName)]),
            new(SshKeyVolume, VolumeKind.Secret, host.SshKeySecret.Name, [new(PodPaths.SshKeyFileName, PodPaths.SshKeyFileName)], DefaultMode: PodSecurity.SecretMode),
        ],
        [
            new("known-hosts", PodPaths.KnownHostsDir, null, true),
            new(SshKeyVolume, PodPaths.SshKeyDir, null, true),
        ]
    );

    /// <summary>
    /// The backup's job configuration (the runner contract); the drill runs from it as a job of its own, and
    /// the host gate's allow-list is decided from it.
    /// </summary>
    private static JobConfig Config(PlanContext ctx, ResolvedApp app, bool gated)
    {
        var host = app.Host;
        var baseName = Names.Backup(host.Name, app.App.Name);
        var drillName = ctx.Inv.Maintenance.Drill.Enabled ? Names.Drill(host.Name, app.App.Name) : null;
        return new JobConfig
        {
            Version = JobConfig.CurrentVersion,
            Kind = JobKind.Backup,
            Environment = ctx.Env,
            ActiveDeadlineSeconds = app.ActiveDeadlineSeconds,
            Repository = ctx.Server is not { } server ? ctx.RepositoryConfig : RepositoryServerPlanner.ForBackup(ctx.RepositoryConfig, ctx.Repo, server, ctx.Ns, host.Name),
            // The drill runs from the backup's configuration, as a job of its own.
            Reporting = drillName is null
                ? ReportingPlanner.Config(ctx, JobRole.Backup, ("backup", baseName))
                : ReportingPlanner.Config(ctx, JobRole.Backup, ("backup", baseName), ("drill", drillName)),
            Host = new HostConfig
            {
                Name = host.Name,
                Address = host.Address,
                Port = host.Port,
                User = host.User,
                IdentityFile = PodPaths.SshKeyDir + "/" + PodPaths.SshKeyFileName,
                KnownHostsFile = PodPaths.KnownHostsDir + "/" + PodPaths.KnownHostsFileName,
                Gated = gated,
                BandwidthLimitKiBps = host.BandwidthLimitKiBps,
                RequestTimeoutSeconds = host.RequestTimeoutSeconds ?? HostConfig.DefaultRequestTimeoutSeconds,
            },
            App = AppConfigOf(app),
            // What a restore from a copy reads (`restore --from-copy`); the backup itself never opens a copy.
            Copies = CopyPlanner.ForBackup(ctx, host.Name),
        };
    }

    /// <summary>
    /// The restore drill runs in the backup's own pod (its configuration, Secrets and mounts), with the
    /// runner's `drill` command; shared lock only, so it may overlap backups.
    /// </summary>
    private static (RenderUnit Unit, ExpectedJob Job) Drill(PlanContext ctx, DrillSpec drill, string drillName, ResolvedApp app, string appNs,
        ImmutableArray<KeyValue> labels, PodModel pod)
    {
        var inv = ctx.Inv;
        var host = app.Host;
        var drillLabels = labels.Select(l => l.Key == "app.kubernetes.io/component" ? l with { Value = "drill" } : l).ToImmutableArray();
        // The backup's pod, but the drill's own ping URL (with one URL per job).
        var ping = ReportingPlanner.PingMount(ctx, drillName, JobRole.Drill);
        var drillPod = pod with
        {
            Labels = drillLabels,
            Args = ["drill", "--sample", DrillSample.Format(drill.SampleFiles)],
            Volumes = [.. pod.Volumes.Select(v => v.Name == ReportingPlanner.PingVolume && ping is { } p ? p.Volume : v)],
        };
        var drillSchedule = ctx.ScheduleOf(drillName);
        var timeZone = drill.TimeZone ?? inv.Defaults.TimeZone;
        return (new RenderUnit("cron-job.sbn", new CronJobModel(
            Meta(drillName, appNs, drillLabels, Wave(2)), drillSchedule, timeZone,
            inv.Defaults.StartingDeadlineSeconds, inv.Defaults.SuccessfulJobsHistoryLimit, inv.Defaults.FailedJobsHistoryLimit,
            new JobSpecModel(drill.ActiveDeadlineSeconds, 0, drillPod) { Hostname = drillName }), "maintenance.drill"),
            new ExpectedJob(drillName, JobRole.Drill, appNs, host.Name, app.App.Name, drillSchedule, timeZone,
                inv.Defaults.StartingDeadlineSeconds, drill.ActiveDeadlineSeconds));
    }

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
        BandwidthLimitKiBps = app.App.BandwidthLimitKiBps,
        Hooks = new HooksConfig
        {
            Before = [.. app.App.Hooks.Before.Select(Hook)],
            After = [.. app.App.Hooks.After.Select(Hook)],
            StopServices = app.App.Hooks.StopServices,
            ComposeDirectory = app.App.Hooks.ComposeDirectory
                ?? (app.App.Hooks.StopServices.IsEmpty ? null : app.App.Paths.FirstOrDefault()),
            SwitchDelaySeconds = app.App.Hooks.SwitchDelayMinutes * 60,
            KeepServicesRunning = app.App.Hooks.KeepServicesRunning,
            ComposeTimeoutSeconds = app.App.Hooks.ComposeTimeoutSeconds,
            Dumps = [.. app.App.Hooks.Dumps.Select(d => new DumpStream
            {
                Name = d.Name, Command = d.Command, FileName = d.FileName, TimeoutSeconds = d.TimeoutSeconds,
            })],
        },
    };

    private static HookCommand Hook(HookSpec h) => new() { Run = h.Run, TimeoutSeconds = h.TimeoutSeconds, Writes = h.Writes };

    internal static RetentionPolicy Policy(RetentionSpec r) => new()
    {
        KeepLast = r.Last, KeepHourly = r.Hourly, KeepDaily = r.Daily, KeepWeekly = r.Weekly, KeepMonthly = r.Monthly,
        KeepYearly = r.Yearly, KeepWithin = r.Within, KeepTags = r.Tags,
    };
}
