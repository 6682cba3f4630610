using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Inventory;
using static ManifestGen.Planning.Planner;

namespace ManifestGen.Planning;

/// <summary>The objects of the offsite copies, their jobs as the alerts expect them, and the Secrets they mount.</summary>
internal sealed record CopyPlan(ImmutableArray<RenderUnit> Units, ImmutableArray<ExpectedJob> Expected, ImmutableArray<RequiredSecret> Secrets,
    ImmutableArray<RenderUnit> Runbooks);

/// <summary>
/// Each offsite copy (<c>repository.copies</c>): a copy CronJob per primary repository (one, or one per
/// host behind the REST server, where each host has a repository of its own: restic copy reads one
/// repository, and the per-host jobs lock only what the host's own backups and maintenance lock, so the
/// planner places each between that host's jobs), the copy's check job beside each, and a NetworkPolicy that
/// lets only the copy's pods reach the copy's location. A copy pod mounts the primary's volume (it reads
/// the primary as the maintenance jobs do, never through the REST server) and the copy's own Secrets.
/// </summary>
internal static class CopyPlanner
{
    public const string Component = "copy";
    public const string CheckComponent = "copy-check";
    public const string CopyLabel = "manifestgen.io/copy";
    private const string PasswordVolume = "copy-password";
    private const string AccessVolume = "copy-access";

    public static CopyPlan Plan(PlanContext ctx, IReadOnlyList<RetentionGroup> groups)
    {
        var units = new List<RenderUnit>();
        var expected = new List<ExpectedJob>();
        var secrets = new List<RequiredSecret>();
        var runbooks = new List<RenderUnit>();
        var hosts = groups.Select(g => g.Host).Distinct(StringComparer.Ordinal).ToList();
        for (var c = 0; c < ctx.Repo.Copies.Length; c++)
        {
            var copy = ctx.Repo.Copies[c];
            var path = $"repository.copies[{c}]";
            var rest = copy.Location.Rest is not null;
            var accessKeys = AccessKeys(copy);
            var (volumes, mounts) = SecretMounts(copy);
            foreach (var host in JobSchedules.CopyRepositories(ctx.Inv, hosts))
            {
                var config = Config(ctx, copy, host);
                MaintenancePlanner.Job(ctx, units, expected, "copy", JobRole.Copy, Names.Copy(copy.Name, host), host, JobKind.Copy,
                    copy.TimeZone, copy.ActiveDeadlineSeconds, copy.Resources, null, path,
                    (config, volumes, mounts, Labels(ctx, Component, copy.Name, host)));
                if (copy.Location.Rest is { AppendOnly: true })
                    runbooks.Add(PruneRunbook(ctx, copy, host, path));
                if (copy.Check.Enabled)
                    MaintenancePlanner.Job(ctx, units, expected, "copy-check", JobRole.CopyCheck, Names.CopyCheck(copy.Name, host), host, JobKind.Check,
                        copy.Check.TimeZone, copy.Check.ActiveDeadlineSeconds, copy.Resources, new MaintenanceConfig(), path + ".check",
                        (config, volumes, mounts, Labels(ctx, CheckComponent, copy.Name, host)));
            }
            units.Add(new RenderUnit("network-policy.sbn", new NetworkPolicyModel(
                Meta(Names.Copy(copy.Name), ctx.Ns, With(ctx.BaseLabels, ("app.kubernetes.io/component", Component), (CopyLabel, copy.Name)), Wave(-1)),
                [new EgressRuleModel(Cidrs(copy), null, [], [new PortModel("TCP", LocationUri(copy).Port)])])
            {
                PodLabels = [new(CopyLabel, copy.Name)],
            }, path + ".location"));
            secrets.Add(new RequiredSecret(copy.Credentials.PasswordSecret.Name, "Opaque", [copy.Credentials.PasswordSecret.Key],
                $"offsite copy {copy.Name}: its repository password (only its copy and check jobs mount it)", ctx.Ns));
            secrets.Add(new RequiredSecret(copy.Credentials.AccessSecret.Name, "Opaque", accessKeys,
                rest ? $"offsite copy {copy.Name}: its user and password on the copy's REST server (append-only for this user)"
                     : $"offsite copy {copy.Name}: the S3 access key id and secret key of its bucket", ctx.Ns));
        }
        return new CopyPlan([.. units], [.. expected], [.. secrets], [.. runbooks]);
    }

    /// <summary>The Secret the copy's owner creates where the runbook runs: a location with the right to delete, and the copy's password.</summary>
    public static string OwnerSecret(RepositoryCopySpec copy) => Names.Join(Names.DnsLabelMax, copy.Name, "owner");

    /// <summary>
    /// The forget and prune of an append-only copy, which the cluster's credential cannot do: a Job (not
    /// scheduled, not synced) the copy's owner runs where a location with the right to delete is reachable
    /// (the key `repository` of <see cref="OwnerSecret"/>, or `repository-&lt;host&gt;` for one host's folder).
    /// It keeps by the copy's retention, or, without one, per bucket the most any app keeps.
    /// </summary>
    private static RenderUnit PruneRunbook(PlanContext ctx, RepositoryCopySpec copy, string? host, string path)
    {
        const string OwnerDir = "/var/run/secrets/manifestgen/copy-owner";
        var policy = BackupPlanner.Policy(copy.Retention ?? Most(ctx.Apps.Select(a => a.Retention)));
        var name = Names.CopyPrune(copy.Name, host);
        var labels = Labels(ctx, "copy-prune", copy.Name, host);
        var repositoryKey = host is null ? "repository" : "repository-" + host;
        var pod = new PodModel(labels, ctx.Image, ctx.Inv.Image.PullPolicy, ["restic"],
            ["forget", "--group-by", "host,tags", .. ResticSyntax.KeepArgs(policy), "--prune"],
            [new("RESTIC_REPOSITORY_FILE", OwnerDir + "/repository"), new("RESTIC_PASSWORD_FILE", OwnerDir + "/password"),
             new("RESTIC_CACHE_DIR", PodPaths.CacheDir), new("HOME", PodPaths.TmpDir)],
            [new("copy-owner", OwnerDir, null, true), ctx.CacheMount, new("tmp", PodPaths.TmpDir, null, false)],
            [new("copy-owner", VolumeKind.Secret, OwnerSecret(copy), [new(repositoryKey, "repository"), new("password", "password")], DefaultMode: PodSecurity.SecretMode),
             ctx.CacheVolume, new("tmp", VolumeKind.EmptyDir, SizeLimit: TmpSize)],
            PodSecurity.Restricted, Resources(copy.Resources ?? ctx.Inv.Defaults.Resources), null, "default");
        return new RenderUnit("job.sbn", new JobModel(Meta(name, ctx.Ns, labels, []), new JobSpecModel(copy.ActiveDeadlineSeconds, 0, pod)), path + ".retention");
    }

    /// <summary>Per bucket the most any of the policies keeps (-1, all, wins), every keep-tag, the longest within.</summary>
    private static RetentionSpec Most(IEnumerable<RetentionSpec> policies)
    {
        static int? Max(int? a, int? b) => a is null ? b : b is null ? a : a == -1 || b == -1 ? -1 : Math.Max(a.Value, b.Value);
        var most = new RetentionSpec();
        foreach (var p in policies)
            most = most with
            {
                Last = Max(most.Last, p.Last), Hourly = Max(most.Hourly, p.Hourly), Daily = Max(most.Daily, p.Daily),
                Weekly = Max(most.Weekly, p.Weekly), Monthly = Max(most.Monthly, p.Monthly), Yearly = Max(most.Yearly, p.Yearly),
                // Both are valid restic durations (MG0604); the longer keeps more, and the rule compares them the same way.
                Within = most.Within is null || (p.Within is not null && ResticSyntax.DurationHours(p.Within) > ResticSyntax.DurationHours(most.Within)) ? p.Within ?? most.Within : most.Within,
                Tags = [.. most.Tags.Union(p.Tags, StringComparer.Ordinal)],
            };
        return most;
    }

    /// <summary>The keys of the copy's access Secret: a REST server's user and password, or S3's key pair.</summary>
    private static ImmutableArray<string> AccessKeys(RepositoryCopySpec copy) =>
        copy.Location.Rest is not null ? PodPaths.CopyRestKeys : PodPaths.CopyS3Keys;

    /// <summary>The copy's own Secrets (password, access credential) where <see cref="Config"/> says they are.</summary>
    public static (VolumeModel[] Volumes, MountModel[] Mounts) SecretMounts(RepositoryCopySpec copy)
    {
        var accessKeys = AccessKeys(copy);
        VolumeModel[] volumes =
        [
            new(PasswordVolume, VolumeKind.Secret, copy.Credentials.PasswordSecret.Name,
                [new(copy.Credentials.PasswordSecret.Key, copy.Credentials.PasswordSecret.Key)], DefaultMode: PodSecurity.SecretMode),
            new(AccessVolume, VolumeKind.Secret, copy.Credentials.AccessSecret.Name, [.. accessKeys.Select(k => new KeyValue(k, k))], DefaultMode: PodSecurity.SecretMode),
        ];
        return (volumes, [new(PasswordVolume, PodPaths.CopyPasswordDir, null, true), new(AccessVolume, PodPaths.CopyAccessDir, null, true)]);
    }

    /// <summary>A copy's Secrets and their namespace, for a pod that opens the copy (a restore from it).</summary>
    public static CopyAccess Access(PlanContext ctx, RepositoryCopySpec copy)
    {
        var (volumes, mounts) = SecretMounts(copy);
        return new CopyAccess(copy.Name, ctx.Ns, [.. volumes], [.. mounts]);
    }

    /// <summary>
    /// Each copy of the repository as an app of <paramref name="host"/> restores from it (the copy's folder of the
    /// host's repository behind the REST server), for its backup configuration; null without copies.
    /// </summary>
    public static ImmutableArray<CopyConfig>? ForBackup(PlanContext ctx, string host) =>
        ctx.Repo.Copies.IsEmpty ? null : [.. ctx.Repo.Copies.Select(c => Config(ctx, c, ctx.Server is null ? null : host))];

    /// <summary>The copy as its jobs reach it: the host's own folder in it behind the REST server, as on the primary.</summary>
    public static CopyConfig Config(PlanContext ctx, RepositoryCopySpec copy, string? host)
    {
        var keys = AccessKeys(copy);
        return new CopyConfig
        {
            Name = copy.Name,
            Repository = ctx.RepositoryConfig with
            {
                Location = Location(copy, host),
                PasswordFile = PodPaths.CopyPasswordDir + "/" + copy.Credentials.PasswordSecret.Key,
            },
            UsernameFile = PodPaths.CopyAccessDir + "/" + keys[0],
            SecretFile = PodPaths.CopyAccessDir + "/" + keys[1],
            AppendOnly = copy.Location.Rest?.AppendOnly ?? false,
            CheckSubsets = copy.Check.Subsets,
        };
    }

    /// <summary>restic's location of the copy (of one host's repository in it).</summary>
    public static string Location(RepositoryCopySpec copy, string? host)
    {
        var below = host is null ? "" : Names.RestUser(host) + "/";
        if (copy.Location.Rest is { } rest)
            return "rest:" + rest.Url + below;
        var s3 = copy.Location.S3!;
        var prefix = s3.Prefix.Trim('/');
        return "s3:" + s3.Endpoint.TrimEnd('/') + "/" + s3.Bucket + (prefix.Length == 0 ? "" : "/" + prefix) + (host is null ? "" : "/" + Names.RestUser(host));
    }

    private static Uri LocationUri(RepositoryCopySpec copy) => new(copy.Location.Rest?.Url ?? copy.Location.S3!.Endpoint);

    /// <summary>The copy's egressCidrs, or its location's own address.</summary>
    private static ImmutableArray<string> Cidrs(RepositoryCopySpec copy)
    {
        if (!copy.EgressCidrs.IsEmpty)
            return copy.EgressCidrs;
        return ScopePlanner.AddressRange(LocationUri(copy).Host.Trim('[', ']')) is { } own ? [own] : [];
    }

    private static ImmutableArray<KeyValue> Labels(PlanContext ctx, string component, string copy, string? host) =>
        host is null
            ? With(ctx.BaseLabels, ("app.kubernetes.io/component", component), (CopyLabel, copy))
            : With(ctx.BaseLabels, ("app.kubernetes.io/component", component), (CopyLabel, copy), ("manifestgen.io/host", host));
}
