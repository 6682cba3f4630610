using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Planning;

/// <summary>What `manifestgen restore` asks for. Exactly one of <see cref="ToHost"/> and <see cref="TargetClaim"/>.</summary>
public sealed record RestoreRequest(string Host, string App)
{
    public string? Snapshot { get; init; }
    public DateTimeOffset? At { get; init; }
    public ImmutableArray<string> Paths { get; init; } = [];
    public bool ToHost { get; init; }
    public string? TargetClaim { get; init; }
    public bool Force { get; init; }
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

        var args = ImmutableArray.CreateBuilder<string>();
        args.Add("restore");
        if (request.At is { } at)
            args.AddRange("--at", RestoreTime.Format(at));
        else
            args.AddRange("--snapshot", request.Snapshot ?? "latest");
        foreach (var path in request.Paths)
            args.AddRange("--path", path);
        if (request.ToHost)
            args.Add("--to-host");
        else
            args.AddRange("--target", TargetMount);
        if (request.Force)
            args.Add("--force");

        var labels = app.Pod.Labels
            .Select(l => l.Key == "app.kubernetes.io/component" ? l with { Value = "restore" } : l)
            .ToImmutableArray();
        var pod = app.Pod with { Labels = labels, Args = args.ToImmutable() };
        if (request.TargetClaim is { } target)
            // Into a claim the host is not contacted: the Job holds no host key at all.
            pod = pod with
            {
                Volumes = [.. pod.Volumes.Where(v => v.Name != Planner.SshKeyVolume), new VolumeModel("restore-target", VolumeKind.Claim, target)],
                Mounts = [.. pod.Mounts.Where(m => m.Name != Planner.SshKeyVolume), new MountModel("restore-target", TargetMount, null, false)],
            };
        else if (app.RestoreKeySecret is { } restoreKey)
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

    private static bool Under(string path, string root)
    {
        var r = root.TrimEnd('/');
        return path == r || path.StartsWith(r + "/", StringComparison.Ordinal);
    }
}
