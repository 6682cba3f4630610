using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace ManifestGen.PodHarness.Runtime;

/// <summary>
/// containerd's RuntimeDefault seccomp profile, assembled as containerd's DefaultProfile does for one
/// container: the rules of seccomp/containerd-runtime-default.json (generated once from containerd's
/// source, origin and commit inside) whose condition holds for the container's bounding capabilities and
/// the running kernel. The result is the runtime spec's <c>linux.seccomp</c> object.
/// </summary>
public static class SeccompProfiles
{
    private static readonly Lazy<JsonObject> Source = new(() =>
    {
        using var s = typeof(SeccompProfiles).Assembly.GetManifestResourceStream("containerd-runtime-default.json")
                      ?? throw new HarnessException("seccomp: containerd-runtime-default.json is not embedded");
        return JsonNode.Parse(s)!.AsObject();
    });

    /// <summary>Where the profile comes from (containerd's file and commit), for the run's notes.</summary>
    public static string Origin => $"{Source.Value["origin"]} at {Source.Value["version"]} ({Source.Value["commit"]})";

    public static JsonObject RuntimeDefault(IReadOnlySet<string> boundingCapabilities, Version kernel)
    {
        var src = Source.Value;
        var syscalls = new JsonArray();
        foreach (var node in src["rules"]!.AsArray())
        {
            var rule = node!.AsObject();
            if (rule["when"] is JsonObject when && !Holds(when, boundingCapabilities, kernel)) continue;
            var outRule = new JsonObject
            {
                ["names"] = rule["names"]!.DeepClone(),
                ["action"] = rule["action"]!.DeepClone(),
            };
            if (rule["args"] is JsonArray { Count: > 0 } args) outRule["args"] = args.DeepClone();
            if (rule["errnoRet"] is { } errno) outRule["errnoRet"] = errno.DeepClone();
            syscalls.Add(outRule);
        }
        return new JsonObject
        {
            ["defaultAction"] = src["defaultAction"]!.DeepClone(),
            ["architectures"] = src["architectures"]!.DeepClone(),
            ["syscalls"] = syscalls,
        };
    }

    private static bool Holds(JsonObject when, IReadOnlySet<string> caps, Version kernel)
    {
        foreach (var (key, value) in when)
        {
            var v = value!.GetValue<string>();
            var ok = key switch
            {
                "capability" => caps.Contains(v),
                "withoutCapability" => !caps.Contains(v),
                "minKernel" => kernel >= Version.Parse(v),
                _ => throw new HarnessException($"seccomp: unknown rule condition '{key}' in containerd-runtime-default.json"),
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>The running kernel's version (major.minor), as containerd reads it on the node.</summary>
    public static Version RunningKernel()
    {
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var parts = release.Split('.', '-');
        return new Version(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Capability names by bit number (linux/capability.h).</summary>
    public static ImmutableArray<string> KnownCapabilities { get; } =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    /// <summary>
    /// What "ALL" (and privileged) means to containerd: the capabilities its own process holds, here this
    /// process's bounding set (a machine may lack some, e.g. CAP_SYS_RESOURCE inside a VM sandbox).
    /// </summary>
    // After KnownCapabilities: static fields initialise in text order.
    public static ImmutableArray<string> AllCapabilities { get; } = CurrentBoundingSet();

    private static ImmutableArray<string> CurrentBoundingSet()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapBnd:", StringComparison.Ordinal));
        var mask = ulong.Parse(line["CapBnd:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        return [.. KnownCapabilities.Where((_, bit) => (mask & (1UL << bit)) != 0)];
    }

}
