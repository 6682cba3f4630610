using ManifestGen.Contracts;
using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using ManifestGen.PodHarness.Manifests;
using ManifestGen.PodHarness.Processes;
using ManifestGen.PodHarness.Sandbox;

namespace ManifestGen.PodHarness.Pods;

/// <summary>
/// Runs one CronJob's or Job's container as the manifest writes it: its command and arguments, its
/// environment (values, Secret and ConfigMap keys), every volumeMount at its mountPath (ConfigMaps and
/// Secrets as files with the manifest's modes, claims as folders that persist between runs, emptyDirs
/// fresh each run), its user, groups, capabilities and read-only root. What a cluster would do that this
/// cannot is listed in the result; what the manifest asks for that this cannot do throws.
/// </summary>
public sealed class PodRunner(RenderedManifests manifests, PodRunOptions options)
{
    /// <summary>Where the runner built from this repository appears inside the pod.</summary>
    public const string RunnerMount = "/opt/manifestgen-podharness/runner";
    /// <summary>Where this machine's .NET installation appears inside the pod (read-only).</summary>
    public const string DotnetMount = "/opt/manifestgen-podharness/dotnet";
    public const string RunnerCommand = "manifestgen-runner";
    private const string ImagePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    // What containerd grants a container that drops nothing (the cluster's default set).
    private static readonly ImmutableArray<string> RuntimeDefaultCapabilities =
    [
        "chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid", "setuid", "setfcap", "setpcap",
        "net_bind_service", "sys_chroot", "kill", "audit_write",
    ];

    public async Task<PodRunResult> RunAsync(string workloadName, CancellationToken cancellationToken = default)
    {
        var workload = manifests.Workload(workloadName);
        var scratch = Directory.CreateTempSubdirectory("mg-pod-").FullName;
        // Test secrets only (throwaway keys and passwords), removed with the scratch folder after the run.
        var secretScratch = Directory.CreateDirectory(Path.Combine(scratch, "secrets")).FullName;
        File.SetUnixFileMode(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var plan = Plan(workload, scratch, secretScratch);
            var result = await SandboxLauncher.RunAsync(plan.Spec, Path.Combine(scratch, "sandbox"), plan.Timeout, plan.Grace,
                options.OnStderrLine, cancellationToken).ConfigureAwait(false);
            return new PodRunResult(plan.Spec.Hostname, result.ExitCode, result.Stdout, result.Stderr, result.Duration,
                result.TimedOut, plan.NotReproduced);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    internal sealed record PodPlan(SandboxSpec Spec, TimeSpan Timeout, TimeSpan Grace, ImmutableArray<string> NotReproduced);

    internal PodPlan Plan(Workload workload, string scratch, string secretScratch)
    {
        var where = workload.Source;
        var pod = workload.PodSpec;
        SpecGuard.CheckPod(pod, where);
        var notes = ImmutableArray.CreateBuilder<string>();
        var podName = PodName(workload.Name);

        if (pod.HostNetwork == true || pod.HostPID == true || pod.HostIPC == true || pod.ShareProcessNamespace == true)
            throw new HarnessException($"{where}: hostNetwork/hostPID/hostIPC/shareProcessNamespace are not supported by the pod harness");
        if (pod.RestartPolicy is not (null or "Never" or "OnFailure"))
            throw new HarnessException($"{where}.restartPolicy: '{pod.RestartPolicy}' is not valid for a Job");
        notes.Add("runs one pod once: schedule, concurrency policy, retries (backoffLimit) and history limits are the controller's");

        var container = PickContainer(pod, where, out var cwhere);
        notes.Add($"image '{container.Image}' is not pulled: the container runs on this machine's root filesystem (an overlay), with {RunnerCommand} from this repository");
        if (container.Resources is not null) notes.Add("resource requests and limits are not enforced");
        if (pod.AutomountServiceAccountToken != false) notes.Add("no service account token is mounted");

        var env = ResolveEnv(container, workload, podName, cwhere);

        // --- security context (container overrides pod) ---
        var psc = pod.SecurityContext;
        var csc = container.SecurityContext;
        var uid = csc?.RunAsUser ?? psc?.RunAsUser ?? 0;
        var gid = csc?.RunAsGroup ?? psc?.RunAsGroup ?? 0;
        if (csc?.RunAsUser is null && psc?.RunAsUser is null)
            notes.Add("no runAsUser: the image's user is taken to be root (uid 0)");
        var runAsNonRoot = csc?.RunAsNonRoot ?? psc?.RunAsNonRoot;
        if (runAsNonRoot == true && uid == 0)
            throw new HarnessException($"{cwhere}: runAsNonRoot is set but the container would run as uid 0 (the kubelet refuses to start it)");
        var fsGroup = psc?.FsGroup;
        _fsGroupOnRootMismatch = psc?.FsGroupChangePolicy == "OnRootMismatch";
        var groups = ImmutableArray.CreateBuilder<long>();
        if (fsGroup is { } fg) groups.Add(fg);
        if (psc?.SupplementalGroups is { } sg) groups.AddRange(sg.Where(x => x.HasValue).Select(x => x!.Value));
        var privileged = csc?.Privileged == true;
        var caps = privileged ? (ImmutableArray<string>?)null : Capabilities(csc?.Capabilities, cwhere);
        var noNewPrivs = !privileged && csc?.AllowPrivilegeEscalation == false;
        var readOnlyRoot = csc?.ReadOnlyRootFilesystem == true;
        if (readOnlyRoot)
            notes.Add("readOnlyRootFilesystem: the root is this machine's filesystem made read-only, not the image's");
        var seccomp = csc?.SeccompProfile?.Type ?? psc?.SeccompProfile?.Type;
        if (seccomp is not null and not "Unconfined")
            notes.Add($"seccomp profile {seccomp} is not applied");

        // --- volumes ---
        var mounts = Mounts(workload, container, cwhere, scratch, secretScratch, fsGroup);

        // --- command ---
        var command = container.Command is { Count: > 0 } c ? c.ToList()
            : options.ImageEntrypoint.Length > 0 ? options.ImageEntrypoint.ToList()
            : throw new HarnessException($"{cwhere}.command: not set, and the image's entrypoint is unknown here (set PodRunOptions.ImageEntrypoint)");
        IEnumerable<string> args = container.Args ?? [];
        if (options.ArgsOverride is { } overridden)
        {
            args = overridden;
            notes.Add($"args replaced for this run: {string.Join(' ', overridden)}");
        }
        var argv = command.Concat(args).Select(a => EnvExpansion.Expand(a, env)).ToImmutableArray();

        var files = ImmutableArray.CreateBuilder<SandboxFile>();
        var filesDir = Directory.CreateDirectory(Path.Combine(scratch, "files")).FullName;
        if (Path.GetFileName(argv[0]) == RunnerCommand)
        {
            var dll = Path.Combine(options.RunnerDirectory, RunnerCommand + ".dll");
            if (!File.Exists(dll) || !File.Exists(Path.Combine(options.RunnerDirectory, RunnerCommand + ".runtimeconfig.json")))
                throw new HarnessException($"{options.RunnerDirectory}: no {RunnerCommand}.dll with its runtimeconfig (build src/ManifestGen.Runner)");
            var wrapper = Path.Combine(filesDir, RunnerCommand);
            File.WriteAllText(wrapper,
                "#!/bin/sh\n# Stands in for the image's binary: the runner built from this repository.\n" +
                $"exec {DotnetMount}/dotnet {RunnerMount}/{RunnerCommand}.dll \"$@\"\n");
            files.Add(new SandboxFile(wrapper, argv[0].StartsWith('/') ? argv[0] : $"/usr/local/bin/{RunnerCommand}", "0755"));
            mounts = [
                new SandboxMount(Path.GetFullPath(options.RunnerDirectory), RunnerMount, ReadOnly: true, IsFile: false),
                new SandboxMount(DotnetHost.Root, DotnetMount, ReadOnly: true, IsFile: false),
                .. mounts];
            // The image's user (image/Dockerfile: runner, 10001:10001): ssh refuses a uid without a passwd entry.
            var passwd = Path.Combine(filesDir, "passwd");
            File.WriteAllText(passwd, File.ReadAllText("/etc/passwd") +
                $"runner:x:{PodIdentity.RunnerUid}:{PodIdentity.RunnerGid}::/tmp:/usr/sbin/nologin\n");
            files.Add(new SandboxFile(passwd, "/etc/passwd", "0644"));
            var group = Path.Combine(filesDir, "group");
            File.WriteAllText(group, File.ReadAllText("/etc/group") + $"runner:x:{PodIdentity.RunnerGid}:\n");
            files.Add(new SandboxFile(group, "/etc/group", "0644"));
        }
        var hosts = Path.Combine(filesDir, "hosts");
        File.WriteAllText(hosts, HostsFile(podName, (pod.HostAliases ?? []).Concat(options.ExtraHosts)));
        files.Add(new SandboxFile(hosts, "/etc/hosts", "0644"));

        var workingDir = container.WorkingDir ?? "/";
        if (container.WorkingDir is null) notes.Add("no workingDir: the image's is taken to be /");
        if (!workingDir.StartsWith('/'))
            throw new HarnessException($"{cwhere}.workingDir: '{workingDir}' is not absolute");

        var timeout = options.Timeout;
        foreach (var deadline in new[] { workload.ActiveDeadlineSeconds, pod.ActiveDeadlineSeconds })
            if (deadline is { } d && TimeSpan.FromSeconds(d) < timeout)
                timeout = TimeSpan.FromSeconds(d);
        var grace = TimeSpan.FromSeconds(Math.Min(pod.TerminationGracePeriodSeconds ?? 30, 30));

        var spec = new SandboxSpec
        {
            Hostname = podName,
            Uid = uid,
            Gid = gid,
            Groups = groups.ToImmutable(),
            Capabilities = caps,
            NoNewPrivileges = noNewPrivs,
            ReadOnlyRoot = readOnlyRoot,
            WorkingDir = workingDir,
            Argv = argv,
            Environment = env,
            Mounts = mounts,
            Files = files.ToImmutable(),
            Devices = privileged && File.Exists("/dev/fuse") ? ["/dev/fuse"] : [],
            NetworkNamespace = options.NetworkNamespace,
        };
        return new PodPlan(spec, timeout, grace, notes.ToImmutable());
    }

    private V1Container PickContainer(V1PodSpec pod, string where, out string cwhere)
    {
        var containers = pod.Containers ?? [];
        int index;
        if (options.ContainerName is { } name)
        {
            index = containers.ToList().FindIndex(c => c.Name == name);
            if (index < 0) throw new HarnessException($"{where}.containers: no container named '{name}'");
        }
        else if (containers.Count == 1)
        {
            index = 0;
        }
        else
        {
            throw new HarnessException($"{where}.containers: {containers.Count} containers; name the one to run");
        }
        cwhere = $"{where}.containers[{index}]";
        return containers[index];
    }

    // ---------------------------------------------------------------- environment

    private ImmutableDictionary<string, string> ResolveEnv(V1Container container, Workload workload, string podName, string cwhere)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // What the runtime gives every container before the spec's own variables.
            ["PATH"] = ImagePath,
            ["HOSTNAME"] = podName,
        };
        var uid = container.SecurityContext?.RunAsUser ?? workload.PodSpec.SecurityContext?.RunAsUser ?? 0;
        env["HOME"] = uid == 0 ? "/root" : "/";

        var i = 0;
        foreach (var from in container.EnvFrom ?? [])
        {
            var fwhere = $"{cwhere}.envFrom[{i++}]";
            var prefix = from.Prefix ?? "";
            if (from.ConfigMapRef is { } cmr)
            {
                var data = ConfigMapData(cmr.Name, workload.Namespace, cmr.Optional == true, fwhere);
                foreach (var (k, v) in data ?? new Dictionary<string, byte[]>()) env[prefix + k] = Encoding.UTF8.GetString(v);
            }
            if (from.SecretRef is { } sr)
            {
                var data = SecretData(sr.Name, workload.Namespace, sr.Optional == true, fwhere);
                foreach (var (k, v) in data ?? new Dictionary<string, byte[]>()) env[prefix + k] = Encoding.UTF8.GetString(v);
            }
        }

        i = 0;
        foreach (var e in container.Env ?? [])
        {
            var ewhere = $"{cwhere}.env[{i++}]";
            if (string.IsNullOrEmpty(e.Name)) throw new HarnessException($"{ewhere}.name is required");
            if (e.ValueFrom is null)
            {
                env[e.Name] = EnvExpansion.Expand(e.Value ?? "", env);
                continue;
            }
            if (e.Value is not null) throw new HarnessException($"{ewhere}: value and valueFrom are exclusive");
            var src = e.ValueFrom;
            string? resolved;
            if (src.SecretKeyRef is { } skr)
            {
                var data = SecretData(skr.Name, workload.Namespace, skr.Optional == true, $"{ewhere}.valueFrom.secretKeyRef");
                resolved = Key(data, skr.Key, skr.Optional == true, $"{ewhere}.valueFrom.secretKeyRef", $"Secret '{skr.Name}'");
            }
            else if (src.ConfigMapKeyRef is { } ckr)
            {
                var data = ConfigMapData(ckr.Name, workload.Namespace, ckr.Optional == true, $"{ewhere}.valueFrom.configMapKeyRef");
                resolved = Key(data, ckr.Key, ckr.Optional == true, $"{ewhere}.valueFrom.configMapKeyRef", $"ConfigMap '{ckr.Name}'");
            }
            else if (src.FieldRef is { } fr)
            {
                resolved = fr.FieldPath switch
                {
                    "metadata.name" => podName,
                    "metadata.namespace" => workload.Namespace,
                    "spec.serviceAccountName" => workload.PodSpec.ServiceAccountName ?? "default",
                    _ => throw new HarnessException($"{ewhere}.valueFrom.fieldRef: field '{fr.FieldPath}' is not supported by the pod harness"),
                };
            }
            else
            {
                throw new HarnessException($"{ewhere}.valueFrom: no source");
            }
            if (resolved is null) env.Remove(e.Name); else env[e.Name] = resolved;
        }
        return env.ToImmutableDictionary(StringComparer.Ordinal);
    }

    private static string? Key(IReadOnlyDictionary<string, byte[]>? data, string key, bool optional, string where, string what)
    {
        if (data is null) return null;
        if (data.TryGetValue(key, out var v)) return Encoding.UTF8.GetString(v);
        if (optional) return null;
        throw new HarnessException($"{where}: {what} has no key '{key}'");
    }

    private IReadOnlyDictionary<string, byte[]>? ConfigMapData(string name, string ns, bool optional, string where)
    {
        var cm = manifests.ConfigMap(name, ns);
        if (cm is null)
        {
            if (optional) return null;
            throw new HarnessException($"{where}: ConfigMap '{name}' is not in the rendered manifests (namespace {ns})");
        }
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (k, v) in cm.Data ?? new Dictionary<string, string>()) data[k] = Encoding.UTF8.GetBytes(v);
        foreach (var (k, v) in cm.BinaryData ?? new Dictionary<string, byte[]>()) data[k] = v;
        return data;
    }

    private IReadOnlyDictionary<string, byte[]>? SecretData(string name, string ns, bool optional, string where)
    {
        var rendered = manifests.Secret(name, ns);
        if (rendered is not null)
        {
            var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (k, v) in rendered.Data ?? new Dictionary<string, byte[]>()) data[k] = v;
            foreach (var (k, v) in rendered.StringData ?? new Dictionary<string, string>()) data[k] = Encoding.UTF8.GetBytes(v);
            return data;
        }
        if (options.Secrets.TryGetValue(name, out var supplied)) return supplied;
        if (optional) return null;
        throw new HarnessException($"{where}: Secret '{name}' is referenced but neither rendered nor supplied by the test");
    }

    // ---------------------------------------------------------------- volumes

    private ImmutableArray<SandboxMount> Mounts(Workload workload, V1Container container, string cwhere, string scratch,
        string secretScratch, long? fsGroup)
    {
        var volumes = new Dictionary<string, (V1Volume Volume, int Index)>(StringComparer.Ordinal);
        var vi = 0;
        foreach (var v in workload.PodSpec.Volumes ?? [])
        {
            if (!volumes.TryAdd(v.Name, (v, vi)))
                throw new HarnessException($"{workload.Source}.volumes[{vi}]: duplicate volume name '{v.Name}'");
            vi++;
        }
        var materialised = new Dictionary<string, (string Dir, bool ReadOnly, bool Generated)>(StringComparer.Ordinal);
        var result = new List<(SandboxMount Mount, int Order)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var m in container.VolumeMounts ?? [])
        {
            var mwhere = $"{cwhere}.volumeMounts[{i}]";
            if (string.IsNullOrEmpty(m.MountPath) || !m.MountPath.StartsWith('/'))
                throw new HarnessException($"{mwhere}.mountPath: '{m.MountPath}' must be an absolute path");
            var target = NormalisePath(m.MountPath);
            if (!seen.Add(target))
                throw new HarnessException($"{mwhere}.mountPath: '{m.MountPath}' is mounted twice");
            if (m.MountPropagation is not (null or "None"))
                throw new HarnessException($"{mwhere}.mountPropagation: '{m.MountPropagation}' is not supported by the pod harness");
            if (!volumes.TryGetValue(m.Name, out var vol))
                throw new HarnessException($"{mwhere}.name: no volume named '{m.Name}' in the pod");
            if (!materialised.TryGetValue(m.Name, out var source))
            {
                source = Materialise(vol.Volume, $"{workload.Source}.volumes[{vol.Index}]", workload.Namespace, scratch, secretScratch, fsGroup);
                materialised[m.Name] = source;
            }
            var path = source.Dir;
            var isFile = false;
            if (!string.IsNullOrEmpty(m.SubPath))
            {
                if (m.SubPath.StartsWith('/') || m.SubPath.Split('/').Contains(".."))
                    throw new HarnessException($"{mwhere}.subPath: '{m.SubPath}' must be a relative path without '..'");
                path = Path.Combine(source.Dir, m.SubPath);
                if (File.Exists(path)) isFile = true;
                else if (!Directory.Exists(path))
                {
                    if (source.Generated)
                        throw new HarnessException($"{mwhere}.subPath: '{m.SubPath}' is not a key or path of volume '{m.Name}'");
                    // The kubelet creates a missing subPath folder in a claim or emptyDir, as root, each new
                    // component with the mode of the volume's root (after fsGroup: group-writable and setgid).
                    var mode = File.GetUnixFileMode(source.Dir);
                    var created = source.Dir;
                    foreach (var part in m.SubPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
                    {
                        created = Path.Combine(created, part);
                        if (Directory.Exists(created)) continue;
                        Directory.CreateDirectory(created);
                        File.SetUnixFileMode(created, mode);
                    }
                }
            }
            result.Add((new SandboxMount(path, target, m.ReadOnlyProperty == true || source.ReadOnly, isFile), i));
            i++;
        }
        // Parents before children, as the runtime orders mounts; stable otherwise.
        return result.OrderBy(r => r.Mount.Target.Count(ch => ch == '/')).ThenBy(r => r.Order).Select(r => r.Mount).ToImmutableArray();
    }

    private bool _fsGroupOnRootMismatch;

    private (string Dir, bool ReadOnly, bool Generated) Materialise(V1Volume volume, string vwhere, string ns, string scratch,
        string secretScratch, long? fsGroup)
    {
        if (volume.ConfigMap is { } cmv)
        {
            var data = ConfigMapData(cmv.Name, ns, cmv.Optional == true, $"{vwhere}.configMap");
            var dir = Path.Combine(scratch, "volumes", volume.Name);
            WriteKeys(dir, data, cmv.Items, cmv.DefaultMode ?? 420, cmv.Optional == true, $"{vwhere}.configMap", $"ConfigMap '{cmv.Name}'", fsGroup);
            return (dir, true, true);
        }
        if (volume.Secret is { } sv)
        {
            var data = SecretData(sv.SecretName, ns, sv.Optional == true, $"{vwhere}.secret");
            var dir = Path.Combine(secretScratch, volume.Name);
            WriteKeys(dir, data, sv.Items, sv.DefaultMode ?? 420, sv.Optional == true, $"{vwhere}.secret", $"Secret '{sv.SecretName}'", fsGroup);
            return (dir, true, true);
        }
        if (volume.PersistentVolumeClaim is { } pvc)
        {
            var claim = manifests.Claim(pvc.ClaimName, ns)
                ?? throw new HarnessException($"{vwhere}.persistentVolumeClaim: claim '{pvc.ClaimName}' is not in the rendered manifests (namespace {ns}); the pod would stay Pending");
            if (claim.Spec?.VolumeName is { Length: > 0 } pvName &&
                !manifests.Documents.Any(d => d.Object is V1PersistentVolume && d.Name == pvName))
                throw new HarnessException($"{vwhere}.persistentVolumeClaim: claim '{pvc.ClaimName}' binds volume '{pvName}', which is not rendered");
            var dir = Directory.CreateDirectory(Path.Combine(options.StateDirectory, "claims", pvc.ClaimName)).FullName;
            // fsGroupChangePolicy OnRootMismatch: the kubelet skips the recursive change when the volume's root
            // already has the group and its permissions (each chmod would change every file's ctime).
            if (fsGroup is { } g && !(_fsGroupOnRootMismatch && Ownership.RootMatches(dir, g)))
                Ownership.ApplyFsGroup(dir, g, readOnly: false);
            return (dir, pvc.ReadOnlyProperty == true, false);
        }
        if (volume.EmptyDir is not null)
        {
            var dir = Directory.CreateDirectory(Path.Combine(scratch, "volumes", volume.Name)).FullName;
            File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("777", 8));
            if (fsGroup is { } g) Ownership.ApplyFsGroup(dir, g, readOnly: false);
            return (dir, false, false);
        }
        throw new HarnessException($"{vwhere}: volume '{volume.Name}' has a type the pod harness does not support");
    }

    private static void WriteKeys(string dir, IReadOnlyDictionary<string, byte[]>? data, IList<V1KeyToPath>? items, int defaultMode,
        bool optional, string where, string what, long? fsGroup)
    {
        Directory.CreateDirectory(dir);
        if (data is null) return; // optional and absent: an empty volume
        var entries = new List<(string Path, byte[] Bytes, int Mode)>();
        if (items is { Count: > 0 })
        {
            var j = 0;
            foreach (var item in items)
            {
                if (!data.TryGetValue(item.Key, out var bytes))
                {
                    if (optional) { j++; continue; }
                    throw new HarnessException($"{where}.items[{j}].key: {what} has no key '{item.Key}'");
                }
                if (item.Path.StartsWith('/') || item.Path.Split('/').Contains(".."))
                    throw new HarnessException($"{where}.items[{j}].path: '{item.Path}' must be relative without '..'");
                entries.Add((item.Path, bytes, item.Mode ?? defaultMode));
                j++;
            }
        }
        else
        {
            entries.AddRange(data.Select(kv => (kv.Key, kv.Value, defaultMode)));
        }
        foreach (var (path, bytes, mode) in entries)
        {
            if (mode is < 0 or > 511)
                throw new HarnessException($"{where}: file mode {mode} is outside 0000-0777");
            var file = Path.Combine(dir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, bytes);
            File.SetUnixFileMode(file, (UnixFileMode)mode);
        }
        if (fsGroup is { } g) Ownership.ApplyFsGroup(dir, g, readOnly: true);
    }

    // ---------------------------------------------------------------- helpers

    private static ImmutableArray<string> Capabilities(V1Capabilities? caps, string cwhere)
    {
        static string Norm(string c) => (c.StartsWith("CAP_", StringComparison.OrdinalIgnoreCase) ? c[4..] : c).ToLowerInvariant();
        var set = new SortedSet<string>(RuntimeDefaultCapabilities, StringComparer.Ordinal);
        foreach (var d in caps?.Drop ?? [])
        {
            if (Norm(d) == "all") set.Clear(); else set.Remove(Norm(d));
        }
        foreach (var a in caps?.Add ?? [])
        {
            var n = Norm(a);
            if (n == "all" || !System.Text.RegularExpressions.Regex.IsMatch(n, "^[a-z_]+$"))
                throw new HarnessException($"{cwhere}.securityContext.capabilities.add: '{a}' is not supported by the pod harness");
            set.Add(n);
        }
        return [.. set];
    }

    private static string HostsFile(string podName, IEnumerable<V1HostAlias> aliases)
    {
        var sb = new StringBuilder("# Kubernetes-managed hosts file (pod harness).\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        sb.Append("127.0.1.1\t").Append(podName).Append('\n');
        foreach (var a in aliases)
        {
            sb.Append("\n# Entries added by HostAliases.\n");
            sb.Append(a.Ip).Append('\t').Append(string.Join('\t', a.Hostnames ?? [])).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A Job's pod name: the workload's name and a random suffix, so every run has a new hostname.</summary>
    private static string PodName(string workload)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var suffix = string.Create(5, 0, (span, _) =>
        {
            for (var k = 0; k < span.Length; k++) span[k] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
        var name = $"{workload}-{suffix}";
        return name.Length <= 63 ? name : name[..57] + "-" + suffix;
    }

    private static string NormalisePath(string p)
    {
        var parts = p.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Contains("..") || parts.Contains("."))
            throw new HarnessException($"mountPath '{p}' must not contain '.' or '..'");
        return "/" + string.Join('/', parts);
    }
}

/// <summary>The kubelet's fsGroup ownership change: group = fsGroup, group read (and write when writable), setgid folders.</summary>
internal static partial class Ownership
{
    [DllImport("libc", SetLastError = true, EntryPoint = "lchown")]
    private static extern int LChown(string path, int owner, int group);

    /// <summary>The kubelet's OnRootMismatch test: the root has the group, setgid and group read-write-execute.</summary>
    public static bool RootMatches(string root, long fsGroup)
    {
        var gid = Proc.RunAsync("stat", ["-c", "%g", root], TimeSpan.FromSeconds(30)).GetAwaiter().GetResult().Stdout.Trim();
        var mode = File.GetUnixFileMode(root);
        const UnixFileMode needed = UnixFileMode.SetGroup | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute;
        return gid == fsGroup.ToString(System.Globalization.CultureInfo.InvariantCulture) && (mode & needed) == needed;
    }

    public static void ApplyFsGroup(string root, long fsGroup, bool readOnly)
    {
        var gid = checked((int)fsGroup);
        void One(string path, bool isDir)
        {
            if (LChown(path, -1, gid) != 0)
                throw new HarnessException($"fsGroup: cannot change the group of {path} (errno {Marshal.GetLastPInvokeError()})");
            var mode = File.GetUnixFileMode(path);
            mode |= UnixFileMode.GroupRead | (readOnly ? 0 : UnixFileMode.GroupWrite);
            if (isDir) mode |= UnixFileMode.GroupExecute | UnixFileMode.SetGroup;
            File.SetUnixFileMode(path, mode);
        }
        One(root, true);
        foreach (var e in new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            if (e.LinkTarget is not null) continue;
            One(e.FullName, e is DirectoryInfo);
        }
    }
}
