using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Planning;

/// <summary>
/// What `manifestgen restore` asks for: exactly one of <see cref="ToHost"/>, <see cref="TargetClaim"/>,
/// <see cref="ToStdout"/> (a dump only) and <see cref="List"/> (the app's snapshots, nothing restored).
/// </summary>
public sealed record RestoreRequest(string Host, string App)
{
    public string? Dump { get; init; }
    public bool ToStdout { get; init; }
    public bool List { get; init; }
    public string? Snapshot { get; init; }
    public DateTimeOffset? At { get; init; }
    public ImmutableArray<string> Paths { get; init; } = [];
    public bool ToHost { get; init; }
    public string? TargetClaim { get; init; }
    public bool Force { get; init; }
    /// <summary>Restore from this offsite copy (<c>repository.copies[].name</c>) instead of the primary repository.</summary>
    public string? FromCopy { get; init; }
}

/// <summary>
/// Builds a restore Job from the app's own backup pod (<see cref="AppPod"/>): same image, job
/// configuration, Secrets, mounts and security settings; only the runner's arguments differ, plus the
/// SSH key: onto a gated host the restore key's Secret is mounted where the backup key was (the backup key
/// cannot write through the gate); into a target claim no host key is mounted. Pure: no I/O.
/// </summary>
public static class RestorePlanner
{
    /// <summary>Where a target claim is mounted; the runner recreates each host path beneath it.</summary>
    public const string TargetMount = "/restore";

    /// <summary>The restore Job's staging volume (<see cref="PodPaths.RestoreStagingDir"/>).</summary>
    public const string StagingVolume = "restore-staging";

    /// <summary>A restore is bounded too, but by a day, not by the backup's deadline: a whole app takes longer to restore than to back up incrementally.</summary>
    public const int ActiveDeadlineSeconds = 86400;

    /// <summary>The Job to render, or null with the reason (an unknown app, a path outside the app, a bad claim name).</summary>
    public static RenderUnit? Plan(EnvironmentPlan plan, RestoreRequest request, out string? error)
    {
        error = null;
        var app = plan.Apps.FirstOrDefault(a => a.Host == request.Host && a.App == request.App);
        if (app is null)
        {
            error = $"no app {request.Host}/{request.App} in environment {plan.Environment} (known: {string.Join(", ", plan.Apps.Select(a => a.Host + "/" + a.App))})";
            return null;
        }
        if (request.Dump is { } dump && !app.Dumps.Contains(dump))
        {
            error = app.Dumps.IsEmpty
                ? $"--dump {dump}: {request.Host}/{request.App} has no dumps (hooks.dumps)"
                : $"--dump {dump} is not a dump of {request.Host}/{request.App} (hooks.dumps: {string.Join(", ", app.Dumps)})";
            return null;
        }
        if (request.Dump is not null && request.ToHost && request.Paths.Length != 1)
        {
            error = $"--dump onto the host needs one --path FILE below the paths of {request.Host}/{request.App} ({string.Join(", ", app.Paths)}): where the dump goes";
            return null;
        }
        if (request.Dump is not null && !request.ToHost && !request.Paths.IsEmpty)
        {
            error = "--path with --dump names the dump's file on the host: only with --to-host";
            return null;
        }
        if (request.ToStdout && request.Dump is null)
        {
            error = "--stdout writes a dump: give --dump NAME";
            return null;
        }
        foreach (var path in request.Paths)
            if (!app.Paths.Any(root => Under(path, root)))
            {
                error = $"--path {path} is not under the paths of {request.Host}/{request.App} ({string.Join(", ", app.Paths)})";
                return null;
            }
        if (request.TargetClaim is { } claim && KubernetesNames.WhyNotSubdomain(claim) is { } why)
        {
            error = $"--target-claim '{claim}': {why}";
            return null;
        }
        CopyAccess? copy = null;
        if (request.FromCopy is { } copyName)
        {
            copy = app.Copies.FirstOrDefault(c => c.Name == copyName);
            if (copy is null)
            {
                error = app.Copies.IsEmpty
                    ? $"--from-copy {copyName}: environment {plan.Environment} has no offsite copies (repository.copies)"
                    : $"--from-copy {copyName} is not a copy of environment {plan.Environment} (repository.copies: {string.Join(", ", app.Copies.Select(c => c.Name))})";
                return null;
            }
            if (copy.Namespace != app.Namespace)
            {
                error = $"--from-copy {copyName}: {request.Host}/{request.App} runs in namespace {app.Namespace}, the copy's Secrets and NetworkPolicy are in {copy.Namespace}";
                return null;
            }
        }

        // Everything but a list and a dump into a claim is restored first on a staging volume of the app's size.
        var stages = !request.List && (request.ToHost || request.ToStdout || request.Dump is null);
        var args = ImmutableArray.CreateBuilder<string>();
        if (request.List)
            args.AddRange("snapshots", "--json");
        else
        {
            args.Add("restore");
            if (request.Dump is { } dumpName)
                args.AddRange("--dump", dumpName);
            if (request.At is { } at)
                args.AddRange("--at", RestoreTime.Format(at));
            else
                args.AddRange("--snapshot", request.Snapshot ?? "latest");
            foreach (var path in request.Paths)
                args.AddRange("--path", path);
            if (request.ToHost)
                args.Add("--to-host");
            else if (request.ToStdout)
                args.Add("--stdout");
            else if (request.Dump is not null)
                // A dump is one file: it lands in the claim as it is, /restore/<file name>.
                args.AddRange("--target", TargetMount);
            else
                // Files go into the claim as one archive of what the host had (types, owners, modes): the
                // pod's user could not create those for real.
                args.AddRange("--archive", TargetMount);
            if (stages)
                args.AddRange("--staging", PodPaths.RestoreStagingDir);
            if (request.Force)
                args.Add("--force");
        }
        if (copy is not null)
            args.AddRange("--from-copy", copy.Name);

        var labels = app.Pod.Labels
            .Select(l => l.Key == "app.kubernetes.io/component" ? l with { Value = "restore" } : l)
            .ToImmutableArray();
        if (copy is not null)
            // The copy's NetworkPolicy lets pods with this label reach the copy's location.
            labels = labels.Add(new KeyValue(CopyPlanner.CopyLabel, copy.Name));
        var pod = app.Pod with { Labels = labels, Args = args.ToImmutable() };
        if (copy is not null)
            // From the copy: nothing of the primary (its volume may be on the NAS that is gone, where the pod
            // would wait for the mount for ever), the copy's own Secrets instead.
            pod = pod with
            {
                Volumes = [.. pod.Volumes.Where(v => !PrimaryVolumes.Contains(v.Name)), .. copy.Volumes],
                Mounts = [.. pod.Mounts.Where(m => !PrimaryVolumes.Contains(m.Name)), .. copy.Mounts],
            };
        if (stages)
            // A claim of the app's own size, made for this pod and deleted with it: a restore of any size
            // fits, where the pod's /tmp (an emptyDir of 1Gi) would have it evicted.
            pod = pod with
            {
                Volumes = [.. pod.Volumes, new VolumeModel(StagingVolume, VolumeKind.Ephemeral, app.StagingStorageClassName, SizeLimit: app.StagingSize)],
                Mounts = [.. pod.Mounts, new MountModel(StagingVolume, PodPaths.RestoreStagingDir, null, false)],
            };
        if (!request.ToHost)
            // The host is not contacted: the Job holds no host key at all.
            pod = pod with
            {
                Volumes = [.. pod.Volumes.Where(v => v.Name != Planner.SshKeyVolume)],
                Mounts = [.. pod.Mounts.Where(m => m.Name != Planner.SshKeyVolume)],
            };
        if (request.TargetClaim is { } target)
            pod = pod with
            {
                Volumes = [.. pod.Volumes, new VolumeModel("restore-target", VolumeKind.Claim, target)],
                Mounts = [.. pod.Mounts, new MountModel("restore-target", TargetMount, null, false)],
            };
        else if (request.ToHost && app.RestoreKeySecret is { } restoreKey)
            // Onto a gated host: the restore key (the backup key's gate entry only reads), at the same path.
            pod = pod with
            {
                Volumes = [.. pod.Volumes.Select(v => v.Name == Planner.SshKeyVolume ? v with { Source = restoreKey } : v)],
            };
        var name = Names.Join(Names.DnsLabelMax, "restore", app.Host, app.App);
        // No sync wave or hook: the Job is created by hand (`kubectl create -f -`), never by Argo CD. No
        // retries: a second attempt would meet the files of the first.
        return new RenderUnit("job.sbn", new JobModel(new ObjectMeta(name, app.Namespace, labels, []),
            new JobSpecModel(ActiveDeadlineSeconds, 0, pod) { Hostname = name }), "hosts");
    }

    /// <summary>The volumes of a runner pod that open the primary repository (<see cref="PlanContext.RunnerPod"/>, the REST credential).</summary>
    private static readonly ImmutableHashSet<string> PrimaryVolumes =
        [PlanContext.RepositoryVolume, PlanContext.PasswordVolume, RepositoryServerPlanner.CredentialVolume];

    private static bool Under(string path, string root)
    {
        var r = root.TrimEnd('/');
        return path == r || path.StartsWith(r + "/", StringComparison.Ordinal);
    }
}
