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
    ImmutableArray<AlertedApp> Alerted);

/// <summary>
/// One backup per app: its job configuration (the runner contract), its CronJob, the pod's volumes and
/// mounts for its transfer strategy, and its restore drill. The same configuration decides the host
/// gate's allow-list, the pod is what a restore Job starts from, and the schedule is what the alerts
/// expect, so all three are returned with the objects.
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
        var ping = inv.Reporting.PingUrlSecret;
        var reporting = new ReportingConfig
        {
            PingUrlFile = ping is null ? null : PodPaths.PingUrlDir + "/" + ping.Key,
            PushgatewayUrl = inv.Reporting.PushgatewayUrl,
        };
        var units = new List<RenderUnit>();
        var groups = new List<RetentionGroup>();
        var gatedApps = new Dictionary<string, List<JobConfig>>(StringComparer.Ordinal);
        var appPods = new List<AppPod>();
        var alerted = new List<AlertedApp>();
        foreach (var app in ctx.Apps)
        {
            var host = app.Host;
            var appNs = ctx.ScopeOf(app);
            var baseName = Names.Backup(host.Name, app.App.Name);
            var labels = With(ctx.BaseLabels, ("app.kubernetes.io/component", "backup"), ("manifestgen.io/host", host.Name),
                ("manifestgen.io/app", app.App.Name));
            groups.Add(new RetentionGroup { Host = host.Name, App = app.App.Name, Policy = Policy(app.Retention) });

            var backupConfig = new JobConfig
            {
                Version = JobConfig.CurrentVersion,
                Kind = JobKind.Backup,
                Environment = ctx.Env,
                ActiveDeadlineSeconds = app.ActiveDeadlineSeconds,
                Repository = server is null ? ctx.RepositoryConfig : RepositoryServerPlanner.ForBackup(ctx.RepositoryConfig, repo, server, ctx.Ns, host.Name),
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
                App = AppConfigOf(app),
            };
            // The gate's allow-list is decided from the same configuration the runner reads.
            if (gate is not null)
            {
                if (!gatedApps.TryGetValue(host.Name, out var list)) gatedApps[host.Name] = list = [];
                list.Add(backupConfig);
            }
            units.Add(ctx.ConfigUnit(baseName, appNs, labels, backupConfig, app.Path));

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
            var pod = ctx.RunnerPod(labels, "backup", baseName, volumes, mounts, security, app.Resources, repositoryVolume: server is null);
            appPods.Add(new AppPod(host.Name, app.App.Name, appNs, app.App.Paths, pod, app.ActiveDeadlineSeconds)
            {
                RestoreKeySecret = gate is null ? null : HostGatePlan.RestoreKeySecretName(host),
            });
            if (inv.Maintenance.Drill is { Enabled: true } drill)
                units.Add(Drill(ctx, drill, app, appNs, labels, pod));
            var schedule = ctx.ExpandSchedule(app.Schedule, Names.BackupSeed(host.Name, app.App.Name),
                app.PathOf("schedule", ctx.Loaded.SourceMap));
            alerted.Add(new AlertedApp(host.Name, app.App.Name, schedule, app.TimeZone, inv.Defaults.StartingDeadlineSeconds, app.ActiveDeadlineSeconds));
            units.Add(new RenderUnit("cron-job.sbn", new CronJobModel(
                Meta(baseName, appNs, labels, Wave(2)),
                schedule, app.TimeZone, inv.Defaults.StartingDeadlineSeconds, inv.Defaults.SuccessfulJobsHistoryLimit,
                inv.Defaults.FailedJobsHistoryLimit, new JobSpecModel(app.ActiveDeadlineSeconds, inv.Defaults.BackoffLimit, pod) { Hostname = baseName }),
                app.Path));
        }
        return new BackupPlan([.. units], [.. groups],
            gatedApps.ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToImmutableArray(), StringComparer.Ordinal),
            [.. appPods], [.. alerted]);
    }

    /// <summary>
    /// The restore drill runs in the backup's own pod (its configuration, Secrets and mounts), with the
    /// runner's `drill` command; shared lock only, so it may overlap backups.
    /// </summary>
    private static RenderUnit Drill(PlanContext ctx, DrillSpec drill, ResolvedApp app, string appNs, ImmutableArray<KeyValue> labels, PodModel pod)
    {
        var inv = ctx.Inv;
        var host = app.Host;
        var drillName = Names.Drill(host.Name, app.App.Name);
        var drillLabels = labels.Select(l => l.Key == "app.kubernetes.io/component" ? l with { Value = "drill" } : l).ToImmutableArray();
        var drillPod = pod with
        {
            Labels = drillLabels,
            Args = ["drill", "--sample", drill.SampleFiles.ToString(System.Globalization.CultureInfo.InvariantCulture)],
        };
        var drillSchedule = ctx.ExpandSchedule(drill.Schedule, Names.DrillSeed(host.Name, app.App.Name), "maintenance.drill.schedule");
        return new RenderUnit("cron-job.sbn", new CronJobModel(
            Meta(drillName, appNs, drillLabels, Wave(2)), drillSchedule, drill.TimeZone ?? inv.Defaults.TimeZone,
            inv.Defaults.StartingDeadlineSeconds, inv.Defaults.SuccessfulJobsHistoryLimit, inv.Defaults.FailedJobsHistoryLimit,
            new JobSpecModel(drill.ActiveDeadlineSeconds, 0, drillPod) { Hostname = drillName }), "maintenance.drill");
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

    private static HookCommand Hook(HookSpec h) => new() { Run = h.Run, TimeoutSeconds = h.TimeoutSeconds, Writes = h.Writes };

    private static RetentionPolicy Policy(RetentionSpec r) => new()
    {
        KeepLast = r.Last, KeepHourly = r.Hourly, KeepDaily = r.Daily, KeepWeekly = r.Weekly, KeepMonthly = r.Monthly,
        KeepYearly = r.Yearly, KeepWithin = r.Within, KeepTags = r.Tags,
    };
}
