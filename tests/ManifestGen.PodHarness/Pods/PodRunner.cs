using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using ManifestGen.PodHarness.Manifests;
using ManifestGen.PodHarness.Processes;
using ManifestGen.PodHarness.Runtime;

namespace ManifestGen.PodHarness.Pods;

/// <summary>
/// Runs one CronJob's or Job's pod in the runner image under runc, with the OCI runtime spec the kubelet
/// and containerd would give it: the image's root, user and environment; the spec's command, arguments and
/// environment (values, Secret and ConfigMap keys, $(VAR) expansion); user, groups, fsGroup, capabilities
/// (none ambient), no_new_privs, containerd's RuntimeDefault seccomp profile, read-only root; ConfigMap and
/// Secret volumes in the kubelet's layout (Secrets on tmpfs), emptyDirs, claims as folders that persist
/// between runs; the memory limit through the cgroup; activeDeadlineSeconds and the termination grace
/// period. What a cluster would do that this cannot is listed with every run; what the manifest asks for
/// that this does not understand throws, naming the field.
/// </summary>
public sealed class PodRunner(RenderedManifests manifests, PodRunOptions options)
{
    // containerd's default capability set (pkg/oci defaultUnixCaps): what a container that adds and drops nothing gets.
    private static readonly ImmutableArray<string> RuntimeDefaultCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
        "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    public Task<PodRunResult> RunAsync(string workloadName, CancellationToken cancellationToken = default)
    {
        var workload = manifests.Workload(workloadName);
        if (workload.Kind == "Deployment")
            throw new HarnessException($"{workload.Source}: a Deployment's pod does not end; start it with {nameof(StartAsync)}");
        return RunAsync(workload, null, cancellationToken);
    }

    /// <summary>
    /// Starts one pod of a Deployment's template in the background, as the Deployment controller would (one
    /// replica): it runs until the returned handle is disposed (the kubelet's stop: SIGTERM, the grace
    /// period, SIGKILL) or <see cref="PodRunOptions.LongRunningTimeout"/> passes. Replicas, the rollout
    /// strategy, restarts of a crashed container and readiness are the controller's and kubelet's and are
    /// not reproduced.
    /// </summary>
    public RunningPod StartAsync(string deploymentName)
    {
        var workload = manifests.Workload(deploymentName);
        if (workload.Kind != "Deployment")
            throw new HarnessException($"{workload.Source}: {workload.Kind}/{workload.Name} runs to an end; run it with {nameof(RunAsync)}");
        var stop = new CancellationTokenSource();
        return new RunningPod(workload.Name, RunAsync(workload, options.LongRunningTimeout, stop.Token), stop);
    }

    private async Task<PodRunResult> RunAsync(Workload workload, TimeSpan? timeoutOverride, CancellationToken cancellationToken)
    {
        var image = options.Image ?? await RunnerImage.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var scratch = Directory.CreateTempSubdirectory("mg-pod-").FullName;
        File.SetUnixFileMode(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var mounted = new List<string>();
        try
        {
            var plan = await PlanAsync(workload, image, scratch, mounted).ConfigureAwait(false);
            if (timeoutOverride is { } longRunning) plan = plan with { Timeout = longRunning };
            foreach (var note in plan.NotReproduced) Console.Error.WriteLine($"pod harness: {plan.Spec.Hostname}: not reproduced: {note}");
            var result = await RuncContainer.RunAsync(plan.Spec, image, Path.Combine(scratch, "container"), plan.Timeout, plan.Grace,
                options.OnStderrLine, cancellationToken).ConfigureAwait(false);
            return new PodRunResult(plan.Spec.Hostname, result.ExitCode, result.Stdout, result.Stderr, result.Duration,
                result.TimedOut, plan.NotReproduced);
        }
        finally
        {
            for (var i = mounted.Count - 1; i >= 0; i--) await RuncContainer.UnmountAsync(mounted[i]).ConfigureAwait(false);
            Directory.Delete(scratch, recursive: true);
        }
    }

    internal sealed record PodPlan(ContainerSpec Spec, TimeSpan Timeout, TimeSpan Grace, ImmutableArray<string> NotReproduced);

    internal async Task<PodPlan> PlanAsync(Workload workload, RunnerImage image, string scratch, List<string> mounted)
    {
        var where = workload.Source;
        var pod = workload.PodSpec;
        SpecGuard.CheckPod(pod, where);
        var notes = ImmutableArray.CreateBuilder<string>();
        var podName = PodName(workload.Name);
        var hostname = pod.Hostname ?? podName;

        if (pod.HostNetwork == true || pod.HostPID == true || pod.HostIPC == true || pod.ShareProcessNamespace == true)
            throw new HarnessException($"{where}: hostNetwork/hostPID/hostIPC/shareProcessNamespace are not supported by the pod harness");
        if (workload.Kind == "Deployment")
        {
            if (pod.RestartPolicy is not (null or "Always"))
                throw new HarnessException($"{where}.restartPolicy: '{pod.RestartPolicy}' is not valid for a Deployment");
            notes.Add("Deployment: one pod of the template runs while the test needs it; replicas, rollout strategy, restarts of a crashed container and readiness are the controller's and kubelet's");
            notes.Add("container ports are not published: the pod shares the network namespace of the other pods, and a Service's name resolves (through their /etc/hosts) to it, not to a ClusterIP with kube-proxy; NetworkPolicies are not enforced");
        }
        else
        {
            if (pod.RestartPolicy is not (null or "Never" or "OnFailure"))
                throw new HarnessException($"{where}.restartPolicy: '{pod.RestartPolicy}' is not valid for a Job");
            notes.Add("runs one pod once: schedule, concurrency policy, retries (backoffLimit, podReplacementPolicy) and history limits are the controller's");
        }

        var container = PickContainer(pod, where, out var cwhere);
        notes.Add($"image '{container.Image}' is not pulled: the pod runs in {image.Reference} built from this checkout (make image)");
        if (container.Resources?.Requests is { Count: > 0 } || container.Resources?.Limits?.Keys.Any(k => k != "memory") == true)
            notes.Add("resource requests (scheduling) and limits other than memory (cpu, ephemeral-storage) are not applied");
        if (pod.AutomountServiceAccountToken != false) notes.Add("no service account token is mounted");
        if (pod.EnableServiceLinks != false) notes.Add("enableServiceLinks: no service environment variables (there are no services)");
        notes.Add(options.NetworkNamespace is null
            ? "network: a namespace of its own with loopback only (no pod network, no cluster DNS)"
            : "network: the SSH host's network namespace (loopback only), not a pod network; no cluster DNS (names from /etc/hosts)");
        notes.Add("rlimits: the container inherits the harness's (containerd's: its own process limits)");

        // --- security context (container overrides pod), as the kubelet hands it to containerd ---
        var psc = pod.SecurityContext;
        var csc = container.SecurityContext;
        var privileged = csc?.Privileged == true;
        var runAsUser = csc?.RunAsUser ?? psc?.RunAsUser;
        var runAsGroup = csc?.RunAsGroup ?? psc?.RunAsGroup;
        var userStr = runAsUser?.ToString(CultureInfo.InvariantCulture) ?? image.User?.Split(':')[0] ?? "0";
        var (uid, gid, passwdGroups) = image.ResolveUser(userStr);
        if (runAsUser is null && image.User?.Split(':') is [_, var imageGroup])
            gid = image.ResolveUser(imageGroup).Gid;
        if (runAsGroup is { } rg) gid = rg;
        var runAsNonRoot = csc?.RunAsNonRoot ?? psc?.RunAsNonRoot;
        if (runAsNonRoot == true && uid == 0)
            throw new HarnessException($"{cwhere}: runAsNonRoot is set but the container would run as uid 0 (the kubelet refuses to start it: CreateContainerConfigError)");
        var groups = ImmutableArray.CreateBuilder<long>();
        var groupsPolicy = psc?.SupplementalGroupsPolicy ?? "Merge";
        if (groupsPolicy == "Merge") groups.AddRange(passwdGroups);
        else if (groupsPolicy != "Strict")
            throw new HarnessException($"{where}.securityContext.supplementalGroupsPolicy: '{groupsPolicy}' is not understood by the pod harness");
        var fsGroup = psc?.FsGroup;
        if (fsGroup is { } fg) groups.Add(fg);
        if (psc?.SupplementalGroups is { } sg) groups.AddRange(sg.Where(x => x.HasValue).Select(x => x!.Value));
        if (psc?.FsGroupChangePolicy is not (null or "Always" or "OnRootMismatch"))
            throw new HarnessException($"{where}.securityContext.fsGroupChangePolicy: '{psc.FsGroupChangePolicy}' is not understood by the pod harness");

        var caps = privileged ? SeccompProfiles.AllCapabilities : Capabilities(csc?.Capabilities, cwhere);
        // The kubelet sets no_new_privs only when allowPrivilegeEscalation is false.
        var noNewPrivs = !privileged && csc?.AllowPrivilegeEscalation == false;
        var readOnlyRoot = csc?.ReadOnlyRootFilesystem == true;
        var seccomp = Seccomp(csc?.SeccompProfile ?? psc?.SeccompProfile, privileged, caps, csc?.SeccompProfile is null ? $"{where}.securityContext" : $"{cwhere}.securityContext", notes);
        AppArmor(csc?.AppArmorProfile ?? psc?.AppArmorProfile, csc?.AppArmorProfile is null ? $"{where}.securityContext" : $"{cwhere}.securityContext", notes);
        if (csc?.ProcMount is not (null or "Default"))
            throw new HarnessException($"{cwhere}.securityContext.procMount: '{csc.ProcMount}' is not supported by the pod harness");

        // --- environment and command ---
        var specEnv = ResolveEnv(container, workload, podName, cwhere);
        var env = new List<string>(image.Env);
        void SetEnv(string name, string value)
        {
            var i = env.FindIndex(e => e.StartsWith(name + "=", StringComparison.Ordinal));
            if (i >= 0) env[i] = $"{name}={value}"; else env.Add($"{name}={value}");
        }
        if (!env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
            env.Insert(0, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        SetEnv("HOSTNAME", hostname);
        foreach (var (k, v) in specEnv.OrderBy(kv => kv.Key, StringComparer.Ordinal)) SetEnv(k, v);

        var argv = Argv(container, image, specEnv, cwhere, notes);

        var workingDir = container.WorkingDir ?? image.WorkingDir ?? "/";
        if (!workingDir.StartsWith('/'))
            throw new HarnessException($"{cwhere}.workingDir: '{workingDir}' is not absolute");

        // --- volumes and the files the kubelet and containerd add ---
        var mounts = new List<ContainerMount>();
        mounts.AddRange(await MountsAsync(workload, container, cwhere, scratch, fsGroup, uid, gid, mounted, notes).ConfigureAwait(false));
        var files = Directory.CreateDirectory(Path.Combine(scratch, "pod")).FullName;
        File.SetUnixFileMode(files, (UnixFileMode)Convert.ToInt32("755", 8));
        var hosts = Write(files, "etc-hosts", HostsFile(hostname, (pod.HostAliases ?? []).Concat(options.ExtraHosts)));
        var hostnameFile = Write(files, "hostname", hostname + "\n");
        var resolv = Write(files, "resolv.conf", "# no cluster DNS in the pod harness\n");
        var termination = Write(files, "termination-log", "");
        File.SetUnixFileMode(termination, (UnixFileMode)Convert.ToInt32("666", 8));
        var ro = readOnlyRoot ? "ro" : "rw";
        mounts.Add(Bind("/etc/hosts", hosts, "rw"));
        mounts.Add(Bind("/etc/hostname", hostnameFile, ro));
        mounts.Add(Bind("/etc/resolv.conf", resolv, ro));
        mounts.Add(Bind(container.TerminationMessagePath ?? "/dev/termination-log", termination, "rw"));

        long? memory = null;
        if (container.Resources?.Limits is { } limits && limits.TryGetValue("memory", out var mq)) memory = mq.ToInt64();

        var devices = ImmutableArray<string>.Empty;
        if (privileged)
        {
            notes.Add("privileged: of this machine's devices only /dev/fuse is given, mode 0666 as a node's udev makes it (a node gives all of its devices)");
            var missing = SeccompProfiles.KnownCapabilities.Except(SeccompProfiles.AllCapabilities).ToList();
            if (missing.Count > 0) notes.Add($"privileged: {string.Join(", ", missing)} not in this machine's bounding set, so not given");
            if (File.Exists("/dev/fuse")) devices = ["/dev/fuse"];
        }

        var timeout = options.Timeout;
        foreach (var deadline in new[] { workload.ActiveDeadlineSeconds, pod.ActiveDeadlineSeconds })
            if (deadline is { } d && TimeSpan.FromSeconds(d) < timeout)
                timeout = TimeSpan.FromSeconds(d);
        var grace = TimeSpan.FromSeconds(pod.TerminationGracePeriodSeconds ?? 30);

        var spec = new ContainerSpec
        {
            Id = "mg-" + podName[..Math.Min(podName.Length, 40)] + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
            Hostname = hostname,
            Uid = uid,
            Gid = gid,
            AdditionalGids = groups.ToImmutable(),
            Capabilities = caps,
            NoNewPrivileges = noNewPrivs,
            ReadOnlyRoot = readOnlyRoot,
            Privileged = privileged,
            Cwd = workingDir,
            Args = argv,
            Env = [.. env],
            Mounts = [.. mounts],
            Seccomp = seccomp,
            MemoryLimitBytes = memory,
            NetworkNamespace = options.NetworkNamespace,
            Devices = devices,
        };
        return new PodPlan(spec, timeout, grace, notes.ToImmutable());
    }

    /// <summary>containerd's command rule: command replaces the entrypoint (and drops the image's CMD), args replace CMD.</summary>
    private ImmutableArray<string> Argv(V1Container container, RunnerImage image, IReadOnlyDictionary<string, string> env, string cwhere,
        ImmutableArray<string>.Builder notes)
    {
        IReadOnlyList<string> command = container.Command is { Count: > 0 } c ? [.. c] : [];
        IReadOnlyList<string> args = container.Args is { Count: > 0 } a ? [.. a] : [];
        if (options.ArgsOverride is { } overridden)
        {
            args = overridden;
            notes.Add($"args replaced for this run: {string.Join(' ', overridden)}");
        }
        command = command.Select(x => EnvExpansion.Expand(x, env)).ToList();
        args = args.Select(x => EnvExpansion.Expand(x, env)).ToList();
        if (command.Count == 0)
        {
            if (args.Count == 0) args = image.Cmd;
            command = image.Entrypoint;
        }
        var argv = command.Concat(args).ToImmutableArray();
        if (argv.Length == 0) throw new HarnessException($"{cwhere}.command: no command (and the image has neither entrypoint nor CMD)");
        return argv;
    }

    private static System.Text.Json.Nodes.JsonObject? Seccomp(V1SeccompProfile? profile, bool privileged, ImmutableArray<string> caps, string where,
        ImmutableArray<string>.Builder notes)
    {
        switch (profile?.Type)
        {
            case null:
                notes.Add("no seccompProfile: Unconfined, the kubelet's default without SeccompDefault");
                return null;
            case "Unconfined":
                return null;
            case "RuntimeDefault":
                if (privileged) return null; // containerd applies no profile to a privileged container
                return SeccompProfiles.RuntimeDefault(caps.ToHashSet(StringComparer.Ordinal), SeccompProfiles.RunningKernel());
            default:
                throw new HarnessException($"{where}.seccompProfile.type: '{profile.Type}' is not supported by the pod harness");
        }
    }

    private static void AppArmor(V1AppArmorProfile? profile, string where, ImmutableArray<string>.Builder notes)
    {
        switch (profile?.Type)
        {
            case null or "Unconfined":
                return;
            case "RuntimeDefault":
                notes.Add("appArmorProfile RuntimeDefault is not applied (no AppArmor on this machine)");
                return;
            default:
                throw new HarnessException($"{where}.appArmorProfile.type: '{profile.Type}' is not supported by the pod harness");
        }
    }

    private static ContainerMount Bind(string destination, string source, string access) =>
        new(destination, "bind", source, ["rbind", "rprivate", access]);

    private static string Write(string dir, string name, string content)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("644", 8));
        return path;
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
        // The kubelet's list: envFrom, then env; $(VAR) refers to variables defined before (not the image's).
        var env = new Dictionary<string, string>(StringComparer.Ordinal);

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

    private async Task<List<ContainerMount>> MountsAsync(Workload workload, V1Container container, string cwhere, string scratch,
        long? fsGroup, long uid, long gid, List<string> mounted, ImmutableArray<string>.Builder notes)
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
        var result = new List<(ContainerMount Mount, int Order)>();
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
                source = await MaterialiseAsync(vol.Volume, $"{workload.Source}.volumes[{vol.Index}]", workload, scratch, fsGroup, uid, gid, mounted, notes)
                    .ConfigureAwait(false);
                materialised[m.Name] = source;
            }
            var path = source.Dir;
            if (!string.IsNullOrEmpty(m.SubPath))
            {
                if (m.SubPath.StartsWith('/') || m.SubPath.Split('/').Contains(".."))
                    throw new HarnessException($"{mwhere}.subPath: '{m.SubPath}' must be a relative path without '..'");
                path = Path.Combine(source.Dir, m.SubPath);
                if (!File.Exists(path) && !Directory.Exists(path))
                {
                    if (source.Generated)
                        throw new HarnessException($"{mwhere}.subPath: '{m.SubPath}' is not a key or path of volume '{m.Name}'");
                    // The kubelet creates a missing subPath folder in a claim or emptyDir, as root, each new
                    // component with the mode of the volume's root (after fsGroup: group-writable and setgid).
                    var rootMode = File.GetUnixFileMode(source.Dir);
                    var created = source.Dir;
                    foreach (var part in m.SubPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
                    {
                        created = Path.Combine(created, part);
                        if (Directory.Exists(created)) continue;
                        Directory.CreateDirectory(created);
                        File.SetUnixFileMode(created, rootMode);
                    }
                }
                // The kubelet binds what the subPath resolves to (through the ..data symlinks of a ConfigMap volume).
                path = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
            }
            var access = m.ReadOnlyProperty == true || source.ReadOnly ? "ro" : "rw";
            result.Add((new ContainerMount(target, "bind", path, ["rbind", "rprivate", access]), i));
            i++;
        }
        // Parents before children, as the kubelet orders mounts; stable otherwise.
        return result.OrderBy(r => r.Mount.Destination.Count(ch => ch == '/')).ThenBy(r => r.Order).Select(r => r.Mount).ToList();
    }

    private async Task<(string Dir, bool ReadOnly, bool Generated)> MaterialiseAsync(V1Volume volume, string vwhere, Workload workload,
        string scratch, long? fsGroup, long uid, long gid, List<string> mounted, ImmutableArray<string>.Builder notes)
    {
        var ns = workload.Namespace;
        var dir = Path.Combine(scratch, "volumes", volume.Name);
        if (volume.ConfigMap is { } cmv)
        {
            var data = ConfigMapData(cmv.Name, ns, cmv.Optional == true, $"{vwhere}.configMap");
            EmptyDirFolder(dir);
            WriteKeys(dir, data, cmv.Items, cmv.DefaultMode ?? 420, cmv.Optional == true, $"{vwhere}.configMap", $"ConfigMap '{cmv.Name}'", fsGroup);
            return (dir, true, true);
        }
        if (volume.Secret is { } sv)
        {
            var data = SecretData(sv.SecretName, ns, sv.Optional == true, $"{vwhere}.secret");
            // The kubelet keeps Secret volumes on tmpfs, never on the node's disk.
            EmptyDirFolder(dir);
            await RuncContainer.MountTmpfsAsync(dir, "0777", null).ConfigureAwait(false);
            mounted.Add(dir);
            WriteKeys(dir, data, sv.Items, sv.DefaultMode ?? 420, sv.Optional == true, $"{vwhere}.secret", $"Secret '{sv.SecretName}'", fsGroup);
            return (dir, true, true);
        }
        if (volume.PersistentVolumeClaim is { } pvc)
        {
            var claim = manifests.Claim(pvc.ClaimName, ns)
                ?? throw new HarnessException($"{vwhere}.persistentVolumeClaim: claim '{pvc.ClaimName}' is not in the rendered manifests (namespace {ns}); the pod would stay Pending");
            V1PersistentVolume? pv = null;
            if (claim.Spec?.VolumeName is { Length: > 0 } pvName)
                pv = manifests.OfType<V1PersistentVolume>().FirstOrDefault(v => v.Metadata?.Name == pvName)
                    ?? throw new HarnessException($"{vwhere}.persistentVolumeClaim: claim '{pvc.ClaimName}' binds volume '{pvName}', which is not rendered");
            var kind = pv?.Spec?.Nfs is not null ? "nfs" : pv?.Spec?.HostPath is not null ? "hostPath" : pv?.Spec?.Local is not null ? "local" : pv is null ? "dynamic" : "other";
            if (kind is "other")
                throw new HarnessException($"{vwhere}.persistentVolumeClaim: volume '{pv!.Metadata?.Name}' has a source the pod harness does not reproduce");
            // A new volume's root: a provisioner's is root's 0755; an NFS or hostPath folder belongs to whoever
            // made it (the prepare Job's `mkdir -p`, run as its pod's user): here the first pod that mounts it.
            var claimDir = Path.Combine(options.StateDirectory, "claims", pvc.ClaimName);
            if (!Directory.Exists(claimDir))
            {
                Directory.CreateDirectory(claimDir, (UnixFileMode)Convert.ToInt32("755", 8));
                if (kind is "nfs" or "hostPath") Ownership.Chown(claimDir, uid, gid);
            }
            // The kubelet applies fsGroup only where the volume plugin manages ownership: not on NFS or hostPath.
            // fsGroupChangePolicy OnRootMismatch: the kubelet skips the recursive change when the volume's root
            // already has the group and its permissions (each chmod would change every file's ctime).
            if (fsGroup is { } g && kind is "local" or "dynamic" &&
                !(workload.PodSpec.SecurityContext?.FsGroupChangePolicy == "OnRootMismatch" &&
                    await Ownership.RootMatchesAsync(claimDir, g).ConfigureAwait(false)))
                Ownership.ApplyFsGroup(claimDir, g, readOnly: false);
            notes.Add(kind switch
            {
                "nfs" or "hostPath" => $"claim '{pvc.ClaimName}' ({kind}): a folder on this machine owned by the user of the first pod that mounted it (as a directory its prepare Job made); the kubelet applies no fsGroup to {kind}; the server's root squash and export ownership are not reproduced",
                "dynamic" => $"claim '{pvc.ClaimName}' (provisioned by its StorageClass): a folder on this machine with fsGroup applied, as CSI drivers that manage ownership do",
                _ => $"claim '{pvc.ClaimName}' (local): a folder on this machine, not the node's disk",
            });
            return (claimDir, pvc.ReadOnlyProperty == true, false);
        }
        if (volume.EmptyDir is { } ed)
        {
            EmptyDirFolder(dir);
            long? size = ed.SizeLimit?.ToInt64();
            if (options.EmptyDirSizeCaps.TryGetValue(volume.Name, out var cap))
            {
                size = Math.Min(size ?? cap, cap);
                notes.Add($"emptyDir '{volume.Name}': capped at {cap} bytes by the harness (rendered sizeLimit {ed.SizeLimit?.ToString() ?? "none"})");
            }
            if (ed.Medium is "Memory" || size is not null)
            {
                if (ed.Medium is not ("Memory" or null or ""))
                    throw new HarnessException($"{vwhere}.emptyDir.medium: '{ed.Medium}' is not supported by the pod harness");
                await RuncContainer.MountTmpfsAsync(dir, "0777", size).ConfigureAwait(false);
                mounted.Add(dir);
                if (ed.Medium is not "Memory")
                    notes.Add($"emptyDir '{volume.Name}' sizeLimit: a tmpfs of that size here (writes beyond fail with ENOSPC); a node evicts the pod instead");
            }
            if (fsGroup is { } g) Ownership.ApplyFsGroup(dir, g, readOnly: false);
            return (dir, false, false);
        }
        if (volume.Ephemeral?.VolumeClaimTemplate?.Spec is { } template)
        {
            // A claim the pod's StorageClass provisions for this pod alone, deleted with it: a fresh folder in
            // the pod's scratch space (removed with the pod), with fsGroup applied as CSI drivers that manage
            // ownership do; it is not bounded here, as the provisioned volume is bounded by its request only.
            if (template.Resources?.Requests?.TryGetValue("storage", out var request) != true)
                throw new HarnessException($"{vwhere}.ephemeral.volumeClaimTemplate.spec.resources.requests.storage: required");
            Directory.CreateDirectory(dir, (UnixFileMode)Convert.ToInt32("755", 8));
            if (fsGroup is { } g) Ownership.ApplyFsGroup(dir, g, readOnly: false);
            notes.Add($"ephemeral volume '{volume.Name}' ({request}, class {template.StorageClassName ?? "default"}): a fresh folder on this machine for this pod, with fsGroup applied");
            return (dir, false, false);
        }
        throw new HarnessException($"{vwhere}: volume '{volume.Name}' has a type the pod harness does not support");
    }

    /// <summary>An emptyDir's folder (also what ConfigMap and Secret volumes are built on): mode 0777.</summary>
    private static void EmptyDirFolder(string dir)
    {
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("777", 8));
    }

    /// <summary>
    /// The kubelet's atomic writer: the files in a timestamped folder, "..data" pointing at it, and one
    /// symlink per top-level name through "..data"; modes from defaultMode/items, then the fsGroup ownership.
    /// </summary>
    private static void WriteKeys(string dir, IReadOnlyDictionary<string, byte[]>? data, IList<V1KeyToPath>? items, int defaultMode,
        bool optional, string where, string what, long? fsGroup)
    {
        var entries = new List<(string Path, byte[] Bytes, int Mode)>();
        if (data is not null && items is { Count: > 0 })
        {
            var j = 0;
            foreach (var item in items)
            {
                if (!data.TryGetValue(item.Key, out var bytes))
                {
                    if (optional) { j++; continue; }
                    throw new HarnessException($"{where}.items[{j}].key: {what} has no key '{item.Key}'");
                }
                if (item.Path.StartsWith('/') || item.Path.Split('/').Contains("..") || item.Path.StartsWith("..", StringComparison.Ordinal))
                    throw new HarnessException($"{where}.items[{j}].path: '{item.Path}' must be relative without '..'");
                entries.Add((item.Path, bytes, item.Mode ?? defaultMode));
                j++;
            }
        }
        else if (data is not null)
        {
            entries.AddRange(data.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value, defaultMode)));
        }
        var stamp = ".." + DateTime.UtcNow.ToString("yyyy_MM_dd_HH_mm_ss", CultureInfo.InvariantCulture) + "." +
                    RandomNumberGenerator.GetInt32(int.MaxValue).ToString(CultureInfo.InvariantCulture);
        var payload = Directory.CreateDirectory(Path.Combine(dir, stamp)).FullName;
        File.SetUnixFileMode(payload, (UnixFileMode)Convert.ToInt32("755", 8));
        foreach (var (path, bytes, mode) in entries)
        {
            if (mode is < 0 or > 511)
                throw new HarnessException($"{where}: file mode {mode} is outside 0000-0777");
            var file = Path.Combine(payload, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, bytes);
            File.SetUnixFileMode(file, (UnixFileMode)mode);
        }
        File.CreateSymbolicLink(Path.Combine(dir, "..data"), stamp);
        foreach (var top in entries.Select(e => e.Path.Split('/')[0]).Distinct(StringComparer.Ordinal))
            File.CreateSymbolicLink(Path.Combine(dir, top), $"..data/{top}");
        if (fsGroup is { } g) Ownership.ApplyFsGroup(dir, g, readOnly: true);
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>containerd's rule: add ALL, then drop ALL, then the named additions, then the named drops.</summary>
    private static ImmutableArray<string> Capabilities(V1Capabilities? caps, string cwhere)
    {
        static string Norm(string c) => "CAP_" + (c.StartsWith("CAP_", StringComparison.OrdinalIgnoreCase) ? c[4..] : c).ToUpperInvariant();
        var set = new SortedSet<string>(RuntimeDefaultCapabilities, StringComparer.Ordinal);
        var add = caps?.Add ?? [];
        var drop = caps?.Drop ?? [];
        if (add.Any(a => a.Equals("ALL", StringComparison.OrdinalIgnoreCase))) set.UnionWith(SeccompProfiles.AllCapabilities);
        if (drop.Any(d => d.Equals("ALL", StringComparison.OrdinalIgnoreCase))) set.Clear();
        var i = 0;
        foreach (var a in add)
        {
            if (!a.Equals("ALL", StringComparison.OrdinalIgnoreCase))
            {
                if (!SeccompProfiles.KnownCapabilities.Contains(Norm(a)))
                    throw new HarnessException($"{cwhere}.securityContext.capabilities.add[{i}]: '{a}' is not a capability");
                if (!SeccompProfiles.AllCapabilities.Contains(Norm(a)))
                    throw new HarnessException($"{cwhere}.securityContext.capabilities.add[{i}]: '{a}' is not in this machine's bounding set; the harness cannot grant it");
                set.Add(Norm(a));
            }
            i++;
        }
        foreach (var d in drop)
            if (!d.Equals("ALL", StringComparison.OrdinalIgnoreCase)) set.Remove(Norm(d));
        return [.. set];
    }

    private static string HostsFile(string hostname, IEnumerable<V1HostAlias> aliases)
    {
        var sb = new StringBuilder("# Kubernetes-managed hosts file (pod harness).\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        sb.Append("127.0.1.1\t").Append(hostname).Append('\n');
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

/// <summary>
/// The kubelet's fsGroup ownership change (SetVolumeOwnership): group = fsGroup; user and group read (and
/// write when the volume is writable) added; folders also get execute and setgid. Symlinks keep their mode.
/// </summary>
internal static partial class Ownership
{
    [DllImport("libc", SetLastError = true, EntryPoint = "lchown")]
    private static extern int LChown(string path, int owner, int group);

    public static void Chown(string path, long uid, long gid)
    {
        if (LChown(path, checked((int)uid), checked((int)gid)) != 0)
            throw new HarnessException($"cannot change the owner of {path} (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>The kubelet's OnRootMismatch test: the root has the group, setgid and group read-write-execute.</summary>
    public static async Task<bool> RootMatchesAsync(string root, long fsGroup)
    {
        var stat = await Proc.RunAsync("stat", ["-c", "%g", root], TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        const UnixFileMode needed = UnixFileMode.SetGroup | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute;
        return stat.Stdout.Trim() == fsGroup.ToString(CultureInfo.InvariantCulture) && (File.GetUnixFileMode(root) & needed) == needed;
    }

    public static void ApplyFsGroup(string root, long fsGroup, bool readOnly)
    {
        var gid = checked((int)fsGroup);
        void One(string path, bool isDir, bool isLink)
        {
            if (LChown(path, -1, gid) != 0)
                throw new HarnessException($"fsGroup: cannot change the group of {path} (errno {Marshal.GetLastPInvokeError()})");
            if (isLink) return;
            var mode = File.GetUnixFileMode(path) | UnixFileMode.UserRead | UnixFileMode.GroupRead;
            if (!readOnly) mode |= UnixFileMode.UserWrite | UnixFileMode.GroupWrite;
            if (isDir) mode |= UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.SetGroup;
            File.SetUnixFileMode(path, mode);
        }
        One(root, true, false);
        foreach (var e in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            One(e.FullName, e is DirectoryInfo && e.LinkTarget is null, e.LinkTarget is not null);
    }
}
