using System.Collections.Immutable;
using k8s.Models;

namespace ManifestGen.Security;

/// <summary>The Pod Security Standards' levels, from least to most restrictive.</summary>
public enum PodSecurityLevel { Privileged, Baseline, Restricted }

/// <summary>One check's verdict on a pod, named and worded as Kubernetes' pod-security-admission names it.</summary>
public sealed record PodSecurityFinding(string CheckId, PodSecurityLevel Level, string Reason, string Detail);

/// <summary>
/// The Pod Security Standards (baseline and restricted), ported from Kubernetes' pod-security-admission
/// policy checks (staging/src/k8s.io/pod-security-admission/policy/check_*.go) at their newest versions:
/// the same check ids, the same overrides (a restricted check replaces its baseline counterpart), and the
/// same reasons and details. The generator labels each Namespace with the strictest level its pods pass,
/// and the tests hold every rendered pod to it.
/// </summary>
public static class PodSecurityStandards
{
    public static string LabelValue(PodSecurityLevel level) => level switch
    {
        PodSecurityLevel.Restricted => "restricted",
        PodSecurityLevel.Baseline => "baseline",
        _ => "privileged",
    };

    /// <summary>The strictest level whose every check allows the pod.</summary>
    public static PodSecurityLevel StrictestLevel(V1ObjectMeta? metadata, V1PodSpec spec) =>
        Evaluate(PodSecurityLevel.Restricted, metadata, spec).IsEmpty ? PodSecurityLevel.Restricted
        : Evaluate(PodSecurityLevel.Baseline, metadata, spec).IsEmpty ? PodSecurityLevel.Baseline
        : PodSecurityLevel.Privileged;

    /// <summary>Every check of <paramref name="level"/> that forbids the pod (empty: admitted).</summary>
    public static ImmutableArray<PodSecurityFinding> Evaluate(PodSecurityLevel level, V1ObjectMeta? metadata, V1PodSpec spec)
    {
        if (level == PodSecurityLevel.Privileged) return [];
        var checks = Checks.Where(c => c.Level <= level).ToList();
        var overridden = checks.SelectMany(c => c.Overrides).ToHashSet(StringComparer.Ordinal);
        var meta = metadata ?? new V1ObjectMeta();
        return [.. checks.Where(c => !overridden.Contains(c.Id))
            .Select(c => (c, r: c.Run(meta, spec)))
            .Where(x => x.r is not null)
            .Select(x => new PodSecurityFinding(x.c.Id, x.c.Level, x.r!.Value.Reason, x.r.Value.Detail))];
    }

    private sealed record Check(string Id, PodSecurityLevel Level, ImmutableArray<string> Overrides,
        Func<V1ObjectMeta, V1PodSpec, (string Reason, string Detail)?> Run);

    /// <summary>What the checks read of a container, init container or ephemeral container alike.</summary>
    private sealed record ContainerView(string Name, V1SecurityContext? SecurityContext, IList<V1ContainerPort>? Ports,
        IEnumerable<V1Probe?> Probes, IEnumerable<V1LifecycleHandler?> Lifecycle);

    private static IEnumerable<ContainerView> Containers(V1PodSpec spec)
    {
        static ContainerView Of(string name, V1SecurityContext? sc, IList<V1ContainerPort>? ports, V1Probe? l, V1Probe? r, V1Probe? s, V1Lifecycle? lc) =>
            new(name, sc, ports, [l, r, s], [lc?.PostStart, lc?.PreStop]);
        foreach (var c in spec.InitContainers ?? [])
            yield return Of(c.Name, c.SecurityContext, c.Ports, c.LivenessProbe, c.ReadinessProbe, c.StartupProbe, c.Lifecycle);
        foreach (var c in spec.Containers ?? [])
            yield return Of(c.Name, c.SecurityContext, c.Ports, c.LivenessProbe, c.ReadinessProbe, c.StartupProbe, c.Lifecycle);
        foreach (var c in spec.EphemeralContainers ?? [])
            yield return Of(c.Name, c.SecurityContext, c.Ports, c.LivenessProbe, c.ReadinessProbe, c.StartupProbe, c.Lifecycle);
    }

    private static string Plural(string singular, string plural, int count) => count == 1 ? singular : plural;

    private static string JoinQuote(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count == 0 ? "" : "\"" + string.Join("\", \"", list) + "\"";
    }

    private static List<string> Sorted(IEnumerable<string> items) => [.. items.Distinct().Order(StringComparer.Ordinal)];

    private static string Containers(List<string> names) => $"{Plural("container", "containers", names.Count)} {JoinQuote(names)}";

    private static bool IsWindows(V1PodSpec spec) => spec.Os?.Name == "windows";
    private static bool UserNamespace(V1PodSpec spec) => spec.HostUsers == false;

    private static readonly ImmutableHashSet<string> BaselineCapabilities = ImmutableHashSet.Create(StringComparer.Ordinal,
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID",
        "SETPCAP", "SETUID", "SYS_CHROOT");

    private static readonly ImmutableHashSet<string> SelinuxTypes = ImmutableHashSet.Create(StringComparer.Ordinal,
        "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t");

    private static readonly ImmutableHashSet<string> SafeSysctls = ImmutableHashSet.Create(StringComparer.Ordinal,
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem", "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat");

    private static readonly ImmutableArray<Check> Checks =
    [
        // ---- baseline ----
        new("hostNamespaces", PodSecurityLevel.Baseline, [], (_, spec) =>
        {
            var host = new List<string>();
            if (spec.HostNetwork == true) host.Add("hostNetwork=true");
            if (spec.HostPID == true) host.Add("hostPID=true");
            if (spec.HostIPC == true) host.Add("hostIPC=true");
            return host.Count > 0 ? ("host namespaces", string.Join(", ", host)) : null;
        }),
        new("privileged", PodSecurityLevel.Baseline, [], (_, spec) =>
        {
            var bad = Containers(spec).Where(c => c.SecurityContext?.Privileged == true).Select(c => c.Name).ToList();
            return bad.Count > 0 ? ("privileged", $"{Containers(bad)} must not set securityContext.privileged=true") : null;
        }),
        new("capabilities_baseline", PodSecurityLevel.Baseline, [], (_, spec) =>
        {
            var bad = new List<string>();
            var caps = new List<string>();
            foreach (var c in Containers(spec))
            {
                var add = (c.SecurityContext?.Capabilities?.Add ?? []).Where(x => !BaselineCapabilities.Contains(x)).ToList();
                if (add.Count == 0) continue;
                bad.Add(c.Name);
                caps.AddRange(add);
            }
            return bad.Count > 0
                ? ("non-default capabilities", $"{Containers(bad)} must not include {JoinQuote(Sorted(caps))} in securityContext.capabilities.add")
                : null;
        }),
        new("hostPathVolumes", PodSecurityLevel.Baseline, [], (_, spec) =>
        {
            var bad = (spec.Volumes ?? []).Where(v => v.HostPath is not null).Select(v => v.Name).ToList();
            return bad.Count > 0 ? ("hostPath volumes", $"{Plural("volume", "volumes", bad.Count)} {JoinQuote(bad)}") : null;
        }),
        new("hostPorts", PodSecurityLevel.Baseline, [], (_, spec) =>
        {
            var bad = new List<string>();
            var ports = new List<string>();
            foreach (var c in Containers(spec))
            {
                var host = (c.Ports ?? []).Where(p => (p.HostPort ?? 0) != 0).Select(p => p.HostPort!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
                if (host.Count == 0) continue;
                bad.Add(c.Name);
                ports.AddRange(host);
            }
            var sorted = Sorted(ports);
            return bad.Count > 0
                ? ("hostPort", $"{Containers(bad)} {Plural("uses", "use", bad.Count)} {Plural("hostPort", "hostPorts", sorted.Count)} {string.Join(", ", sorted)}")
                : null;
        }),
        new("appArmorProfile", PodSecurityLevel.Baseline, [], (meta, spec) =>
        {
            static bool Allowed(string? t) => t is "RuntimeDefault" or "Localhost";
            var setters = new List<string>();
            var values = new List<string>();
            if (spec.SecurityContext?.AppArmorProfile is { } p && !Allowed(p.Type)) { setters.Add("pod"); values.Add(p.Type); }
            var bad = Containers(spec).Where(c => c.SecurityContext?.AppArmorProfile is { } cp && !Allowed(cp.Type)).ToList();
            values.AddRange(bad.Select(c => c.SecurityContext!.AppArmorProfile.Type));
            if (bad.Count > 0) setters.Add(Containers([.. bad.Select(c => c.Name)]));
            var valueList = Sorted(values);
            const string prefix = "container.apparmor.security.beta.kubernetes.io/";
            var annotations = (meta.Annotations ?? new Dictionary<string, string>())
                .Where(a => a.Key.StartsWith(prefix, StringComparison.Ordinal) &&
                    !(a.Value.Length == 0 || a.Value == "runtime/default" || a.Value.StartsWith("localhost/", StringComparison.Ordinal)))
                .Select(a => $"{a.Key}=\"{a.Value}\"").Order(StringComparer.Ordinal).ToList();
            if (annotations.Count > 0)
            {
                valueList.AddRange(annotations);
                setters.Add(Plural("annotation", "annotations", annotations.Count));
            }
            return setters.Count > 0
                ? (Plural("forbidden AppArmor profile", "forbidden AppArmor profiles", valueList.Count),
                   $"{string.Join(" and ", setters)} must not set AppArmor profile type to {JoinQuote(valueList)}")
                : null;
        }),
        new("seLinuxOptions", PodSecurityLevel.Baseline, [], (_, spec) =>
        {
            var badTypes = new List<string>();
            bool setUser = false, setRole = false;
            bool Valid(V1SELinuxOptions o)
            {
                var ok = true;
                if (!SelinuxTypes.Contains(o.Type ?? "")) { ok = false; badTypes.Add(o.Type ?? ""); }
                if (!string.IsNullOrEmpty(o.User)) { ok = false; setUser = true; }
                if (!string.IsNullOrEmpty(o.Role)) { ok = false; setRole = true; }
                return ok;
            }
            var setters = new List<string>();
            if (spec.SecurityContext?.SeLinuxOptions is { } p && !Valid(p)) setters.Add("pod");
            var bad = Containers(spec).Where(c => c.SecurityContext?.SeLinuxOptions is { } o && !Valid(o)).Select(c => c.Name).ToList();
            if (bad.Count > 0) setters.Add(Containers(bad));
            if (setters.Count == 0) return null;
            var data = new List<string>();
            var types = Sorted(badTypes);
            if (types.Count > 0) data.Add($"{Plural("type", "types", types.Count)} {JoinQuote(types)}");
            if (setUser) data.Add("user may not be set");
            if (setRole) data.Add("role may not be set");
            return ("seLinuxOptions", $"{string.Join(" and ", setters)} set forbidden securityContext.seLinuxOptions: {string.Join("; ", data)}");
        }),
        new("procMount", PodSecurityLevel.Baseline, [], (_, spec) => ProcMount(spec)),
        new("seccompProfile_baseline", PodSecurityLevel.Baseline, [], (_, spec) =>
        {
            var setters = new List<string>();
            var values = new List<string>();
            if (spec.SecurityContext?.SeccompProfile is { } p && !ValidSeccomp(p.Type)) { setters.Add("pod"); values.Add(p.Type); }
            var bad = Containers(spec).Where(c => c.SecurityContext?.SeccompProfile is { } s && !ValidSeccomp(s.Type)).ToList();
            values.AddRange(bad.Select(c => c.SecurityContext!.SeccompProfile.Type));
            if (bad.Count > 0) setters.Add(Containers([.. bad.Select(c => c.Name)]));
            return setters.Count > 0
                ? ("seccompProfile", $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {JoinQuote(Sorted(values))}")
                : null;
        }),
        new("sysctls", PodSecurityLevel.Baseline, [], (_, spec) =>
        {
            var bad = (spec.SecurityContext?.Sysctls ?? []).Where(s => !SafeSysctls.Contains(s.Name)).Select(s => s.Name).ToList();
            return bad.Count > 0 ? ("forbidden sysctls", string.Join(", ", bad)) : null;
        }),
        new("windowsHostProcess", PodSecurityLevel.Baseline, [], (_, spec) =>
        {
            var bad = Containers(spec).Where(c => c.SecurityContext?.WindowsOptions?.HostProcess == true).Select(c => c.Name).ToList();
            var pod = spec.SecurityContext?.WindowsOptions?.HostProcess == true;
            if (bad.Count == 0 && !pod) return null;
            var setters = new List<string>();
            if (pod) setters.Add("pod");
            if (bad.Count > 0) setters.Add(Containers(bad));
            return ("hostProcess", $"{string.Join(" and ", setters)} must not set securityContext.windowsOptions.hostProcess=true");
        }),
        new("hostProbesAndHostLifecycle", PodSecurityLevel.Baseline, [], (_, spec) =>
        {
            var bad = new List<string>();
            var hosts = new List<string>();
            foreach (var c in Containers(spec))
            {
                var h = c.Probes.SelectMany(p => new[] { p?.HttpGet?.Host, p?.TcpSocket?.Host })
                    .Concat(c.Lifecycle.SelectMany(l => new[] { l?.HttpGet?.Host, l?.TcpSocket?.Host }))
                    .Where(x => !string.IsNullOrEmpty(x)).Select(x => x!).ToList();
                if (h.Count == 0) continue;
                bad.Add(c.Name);
                hosts.AddRange(h);
            }
            var sorted = Sorted(hosts);
            return bad.Count > 0
                ? ("probe or lifecycle host", $"{Containers(bad)} {Plural("uses", "use", bad.Count)} {Plural("probe or lifecycle host", "probe or lifecycle hosts", sorted.Count)} {JoinQuote(sorted)}")
                : null;
        }),

        // ---- restricted ----
        new("restrictedVolumes", PodSecurityLevel.Restricted, ["hostPathVolumes"], (_, spec) =>
        {
            var bad = new List<string>();
            var types = new List<string>();
            foreach (var v in spec.Volumes ?? [])
            {
                if (v.ConfigMap is not null || v.Csi is not null || v.DownwardAPI is not null || v.EmptyDir is not null ||
                    v.Ephemeral is not null || v.Image is not null || v.PersistentVolumeClaim is not null || v.Projected is not null ||
                    v.Secret is not null)
                    continue;
                bad.Add(v.Name);
                types.Add(VolumeType(v));
            }
            var sorted = Sorted(types);
            return bad.Count > 0
                ? ("restricted volume types", $"{Plural("volume", "volumes", bad.Count)} {JoinQuote(bad)} {Plural("uses", "use", bad.Count)} " +
                   $"{Plural("restricted volume type", "restricted volume types", sorted.Count)} {JoinQuote(sorted)}")
                : null;
        }),
        new("allowPrivilegeEscalation", PodSecurityLevel.Restricted, [], (_, spec) =>
        {
            if (IsWindows(spec)) return null;
            var bad = Containers(spec).Where(c => c.SecurityContext?.AllowPrivilegeEscalation != false).Select(c => c.Name).ToList();
            return bad.Count > 0
                ? ("allowPrivilegeEscalation != false", $"{Containers(bad)} must set securityContext.allowPrivilegeEscalation=false")
                : null;
        }),
        new("runAsNonRoot", PodSecurityLevel.Restricted, [], (_, spec) =>
        {
            if (UserNamespace(spec)) return null;
            var setters = new List<string>();
            var podNonRoot = false;
            if (spec.SecurityContext?.RunAsNonRoot is { } p)
            {
                if (!p) setters.Add("pod");
                else podNonRoot = true;
            }
            var explicitBad = new List<string>();
            var implicitBad = new List<string>();
            foreach (var c in Containers(spec))
            {
                if (c.SecurityContext?.RunAsNonRoot is { } v) { if (!v) explicitBad.Add(c.Name); }
                else if (!podNonRoot) implicitBad.Add(c.Name);
            }
            if (explicitBad.Count > 0) setters.Add(Containers(explicitBad));
            if (setters.Count > 0)
                return ("runAsNonRoot != true", $"{string.Join(" and ", setters)} must not set securityContext.runAsNonRoot=false");
            return implicitBad.Count > 0
                ? ("runAsNonRoot != true", $"pod or {Containers(implicitBad)} must set securityContext.runAsNonRoot=true")
                : null;
        }),
        new("runAsUser", PodSecurityLevel.Restricted, [], (_, spec) =>
        {
            if (UserNamespace(spec)) return null;
            var setters = new List<string>();
            if (spec.SecurityContext?.RunAsUser == 0) setters.Add("pod");
            var bad = Containers(spec).Where(c => c.SecurityContext?.RunAsUser == 0).Select(c => c.Name).ToList();
            if (bad.Count > 0) setters.Add(Containers(bad));
            return setters.Count > 0 ? ("runAsUser=0", $"{string.Join(" and ", setters)} must not set runAsUser=0") : null;
        }),
        new("seccompProfile_restricted", PodSecurityLevel.Restricted, ["seccompProfile_baseline"], (_, spec) =>
        {
            if (IsWindows(spec)) return null;
            var setters = new List<string>();
            var values = new List<string>();
            var podSet = false;
            if (spec.SecurityContext?.SeccompProfile is { } p)
            {
                if (!ValidSeccomp(p.Type)) { setters.Add("pod"); values.Add(p.Type); }
                else podSet = true;
            }
            var explicitBad = new List<string>();
            var implicitBad = new List<string>();
            foreach (var c in Containers(spec))
            {
                if (c.SecurityContext?.SeccompProfile is { } s)
                {
                    if (!ValidSeccomp(s.Type)) { explicitBad.Add(c.Name); values.Add(s.Type); }
                }
                else if (!podSet) implicitBad.Add(c.Name);
            }
            if (explicitBad.Count > 0) setters.Add(Containers(explicitBad));
            if (setters.Count > 0)
                return ("seccompProfile", $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {JoinQuote(Sorted(values))}");
            return implicitBad.Count > 0
                ? ("seccompProfile", $"pod or {Containers(implicitBad)} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"")
                : null;
        }),
        new("capabilities_restricted", PodSecurityLevel.Restricted, ["capabilities_baseline"], (_, spec) =>
        {
            if (IsWindows(spec)) return null;
            var missingDrop = new List<string>();
            var adding = new List<string>();
            var forbidden = new List<string>();
            foreach (var c in Containers(spec))
            {
                var caps = c.SecurityContext?.Capabilities;
                if (caps is null) { missingDrop.Add(c.Name); continue; }
                if (!(caps.Drop ?? []).Contains("ALL")) missingDrop.Add(c.Name);
                var bad = (caps.Add ?? []).Where(x => x != "NET_BIND_SERVICE").ToList();
                if (bad.Count == 0) continue;
                adding.Add(c.Name);
                forbidden.AddRange(bad);
            }
            var details = new List<string>();
            if (missingDrop.Count > 0) details.Add($"{Containers(missingDrop)} must set securityContext.capabilities.drop=[\"ALL\"]");
            if (adding.Count > 0) details.Add($"{Containers(adding)} must not include {JoinQuote(Sorted(forbidden))} in securityContext.capabilities.add");
            return details.Count > 0 ? ("unrestricted capabilities", string.Join("; ", details)) : null;
        }),
        new("procMount_restricted", PodSecurityLevel.Restricted, ["procMount"], (_, spec) => ProcMount(spec, restricted: true)),
    ];

    private static bool ValidSeccomp(string? type) => type is "RuntimeDefault" or "Localhost";

    // Baseline relaxes procMount for pods in a user namespace (hostUsers: false); restricted does not.
    private static (string, string)? ProcMount(V1PodSpec spec, bool restricted = false)
    {
        if (!restricted && UserNamespace(spec)) return null;
        var bad = Containers(spec).Where(c => c.SecurityContext?.ProcMount is { } m && m != "Default").ToList();
        return bad.Count > 0
            ? ("procMount", $"{Containers([.. bad.Select(c => c.Name)])} must not set securityContext.procMount to {JoinQuote(Sorted(bad.Select(c => c.SecurityContext!.ProcMount)))}")
            : null;
    }

    private static string VolumeType(V1Volume v) =>
        v.HostPath is not null ? "hostPath" : v.GcePersistentDisk is not null ? "gcePersistentDisk"
        : v.AwsElasticBlockStore is not null ? "awsElasticBlockStore" : v.GitRepo is not null ? "gitRepo"
        : v.Nfs is not null ? "nfs" : v.Iscsi is not null ? "iscsi" : v.Glusterfs is not null ? "glusterfs"
        : v.Rbd is not null ? "rbd" : v.FlexVolume is not null ? "flexVolume" : v.Cinder is not null ? "cinder"
        : v.Cephfs is not null ? "cephfs" : v.Flocker is not null ? "flocker" : v.Fc is not null ? "fc"
        : v.AzureFile is not null ? "azureFile" : v.VsphereVolume is not null ? "vsphereVolume" : v.Quobyte is not null ? "quobyte"
        : v.AzureDisk is not null ? "azureDisk" : v.PhotonPersistentDisk is not null ? "photonPersistentDisk"
        : v.PortworxVolume is not null ? "portworxVolume" : v.ScaleIO is not null ? "scaleIO" : v.Storageos is not null ? "storageos"
        : "unknown";
}
