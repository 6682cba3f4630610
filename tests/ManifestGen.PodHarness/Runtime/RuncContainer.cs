using System.Diagnostics;
using System.Globalization;
using ManifestGen.PodHarness.Processes;

namespace ManifestGen.PodHarness.Runtime;

/// <summary>
/// Runs one container with runc from the exported image: the image's root under a fresh overlay (its
/// writes stay in this run's scratch folder; the cached root is never changed), config.json from
/// <see cref="OciSpec"/>, <c>runc run</c> in the foreground. On the deadline: SIGTERM to the container,
/// the grace period, then SIGKILL — the kubelet's stop. The container, its cgroup and the overlay are
/// removed afterwards, also on failure.
/// </summary>
public static class RuncContainer
{
    public const string Runc = "/usr/bin/runc";
    /// <summary>runc's state folder for the harness's containers (ids are random per run).</summary>
    public const string StateRoot = "/run/manifestgen-runc";

    public static async Task<ProcResult> RunAsync(ContainerSpec spec, RunnerImage image, string workDir, TimeSpan timeout,
        TimeSpan grace, Action<string>? onStderrLine, CancellationToken ct)
    {
        if (!File.Exists(Runc)) throw new HarnessException($"runc: {Runc} is missing (run scripts/install-deps.sh)");
        if (spec.NetworkNamespace is { } ns && !File.Exists($"/run/netns/{ns}"))
            throw new HarnessException($"runc: network namespace '{ns}' does not exist");
        var bundle = Directory.CreateDirectory(Path.Combine(workDir, "bundle")).FullName;
        var rootfs = Directory.CreateDirectory(Path.Combine(bundle, "rootfs")).FullName;
        var upper = Directory.CreateDirectory(Path.Combine(workDir, "layer", "upper")).FullName;
        var work = Directory.CreateDirectory(Path.Combine(workDir, "layer", "work")).FullName;
        var t = TimeSpan.FromSeconds(30);
        (await Proc.RunAsync("/usr/bin/mount", ["-t", "overlay", "overlay", "-o", $"lowerdir={image.Rootfs},upperdir={upper},workdir={work}", rootfs], t,
            cancellationToken: ct).ConfigureAwait(false)).EnsureSuccess("overlay mount of the image's root");
        try
        {
            File.WriteAllText(Path.Combine(bundle, "config.json"), OciSpec.ToJson(OciSpec.Build(spec, rootfs)));
            return await Proc.RunAsync(Runc, ["--root", StateRoot, "run", "--bundle", bundle, spec.Id], timeout,
                environment: new Dictionary<string, string> { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" },
                grace, onStderrLine, (p, g) => StopAsync(p, spec.Id, g), ct).ConfigureAwait(false);
        }
        finally
        {
            await Proc.RunAsync(Runc, ["--root", StateRoot, "delete", "--force", spec.Id], t).ConfigureAwait(false);
            await UnmountAsync(rootfs).ConfigureAwait(false);
        }
    }

    /// <summary>The kubelet's stop: SIGTERM to the container's PID 1, the grace period, then SIGKILL.</summary>
    private static async Task StopAsync(Process runc, string id, TimeSpan grace)
    {
        var t = TimeSpan.FromSeconds(20);
        if (runc.HasExited) return;
        await Proc.RunAsync(Runc, ["--root", StateRoot, "kill", id, "TERM"], t).ConfigureAwait(false);
        using (var g = new CancellationTokenSource(grace))
        {
            try { await runc.WaitForExitAsync(g.Token).ConfigureAwait(false); return; }
            catch (OperationCanceledException) { }
        }
        await Proc.RunAsync(Runc, ["--root", StateRoot, "kill", id, "KILL"], t).ConfigureAwait(false);
        using var k = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try { await runc.WaitForExitAsync(k.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { try { runc.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
    }

    /// <summary>Unmounts (lazily: a process of the run may still hold it for a moment), bounded in time.</summary>
    internal static async Task UnmountAsync(string path)
    {
        if (!Directory.Exists(path) && !File.Exists(path)) return;
        var r = await Proc.RunAsync("/usr/bin/umount", ["--lazy", path], TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (!r.Succeeded && !r.Stderr.Contains("not mounted", StringComparison.Ordinal))
            throw new HarnessException($"umount {path}: {r.Stderr.Trim()}");
    }

    internal static async Task MountTmpfsAsync(string path, string mode, long? sizeBytes)
    {
        var opts = $"mode={mode},nosuid,nodev" + (sizeBytes is { } s ? $",size={s.ToString(CultureInfo.InvariantCulture)}" : "");
        (await Proc.RunAsync("/usr/bin/mount", ["-t", "tmpfs", "-o", opts, "tmpfs", path], TimeSpan.FromSeconds(30)).ConfigureAwait(false))
            .EnsureSuccess($"tmpfs at {path}");
    }
}
