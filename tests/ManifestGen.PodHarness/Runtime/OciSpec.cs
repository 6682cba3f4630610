using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ManifestGen.PodHarness.Runtime;

/// <summary>
/// config.json for runc, as containerd's CRI plugin writes it for a Kubernetes container: its default mounts
/// and namespaces, the kubelet's masked and read-only /proc paths, no rlimits of its own (the container
/// inherits the runtime's), the device cgroup denying all but runc's defaults, a cgroup under the cgroupfs
/// manager.
/// </summary>
public static class OciSpec
{
    /// <summary>The kubelet's default masked paths (ProcMount Default); a privileged container gets none.</summary>
    public static readonly ImmutableArray<string> MaskedPaths =
    [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    public static readonly ImmutableArray<string> ReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    public const string CgroupParent = "/manifestgen-pods";

    public static JsonObject Build(ContainerSpec c, string rootfs)
    {
        JsonArray Strings(IEnumerable<string> s) => new(s.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray());
        var sysOpts = c.Privileged ? new[] { "nosuid", "noexec", "nodev", "rw" } : ["nosuid", "noexec", "nodev", "ro"];
        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
            Mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            Mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            Mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
            Mount("/sys", "sysfs", "sysfs", sysOpts),
            Mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", c.Privileged ? "rw" : "ro"]),
        };
        foreach (var m in c.Mounts) mounts.Add(Mount(m.Destination, m.Type, m.Source, m.Options));

        var caps = Strings(c.Capabilities);
        var process = new JsonObject
        {
            ["terminal"] = false,
            ["user"] = new JsonObject
            {
                ["uid"] = c.Uid,
                ["gid"] = c.Gid,
                ["additionalGids"] = new JsonArray(c.AdditionalGids.Distinct().Order().Select(g => (JsonNode)JsonValue.Create(g)).ToArray()),
            },
            ["args"] = Strings(c.Args),
            ["env"] = Strings(c.Env),
            ["cwd"] = c.Cwd,
            ["capabilities"] = new JsonObject
            {
                ["bounding"] = caps.DeepClone(),
                ["effective"] = caps.DeepClone(),
                ["permitted"] = caps.DeepClone(),
            },
            ["noNewPrivileges"] = c.NoNewPrivileges,
            ["oomScoreAdj"] = 1000,
        };

        var namespaces = new JsonArray
        {
            new JsonObject { ["type"] = "pid" },
            new JsonObject { ["type"] = "ipc" },
            new JsonObject { ["type"] = "uts" },
            new JsonObject { ["type"] = "mount" },
            c.NetworkNamespace is { } ns
                ? new JsonObject { ["type"] = "network", ["path"] = $"/run/netns/{ns}" }
                : new JsonObject { ["type"] = "network" },
        };
        var resources = new JsonObject
        {
            ["devices"] = new JsonArray(new JsonObject { ["allow"] = c.Privileged, ["access"] = "rwm" }),
        };
        if (c.MemoryLimitBytes is { } mem) resources["memory"] = new JsonObject { ["limit"] = mem, ["swap"] = mem };
        var linux = new JsonObject
        {
            ["namespaces"] = namespaces,
            ["resources"] = resources,
            ["cgroupsPath"] = $"{CgroupParent}/{c.Id}",
            ["maskedPaths"] = Strings(c.Privileged ? [] : MaskedPaths),
            ["readonlyPaths"] = Strings(c.Privileged ? [] : ReadonlyPaths),
        };
        if (c.Devices.Length > 0)
            linux["devices"] = new JsonArray(c.Devices.Select(Device).ToArray());
        if (c.Seccomp is not null) linux["seccomp"] = c.Seccomp.DeepClone();

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2-dev",
            ["process"] = process,
            ["root"] = new JsonObject { ["path"] = rootfs, ["readonly"] = c.ReadOnlyRoot },
            ["hostname"] = c.Hostname,
            ["mounts"] = mounts,
            ["linux"] = linux,
        };
    }

    public static string ToJson(JsonObject spec) => spec.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static JsonObject Mount(string destination, string type, string source, IEnumerable<string> options) => new()
    {
        ["destination"] = destination,
        ["type"] = type,
        ["source"] = source,
        ["options"] = new JsonArray(options.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray()),
    };

    /// <summary>A host device node as linux.devices wants it (type, major, minor, mode).</summary>
    private static JsonNode Device(string path)
    {
        var st = Native.Stat(path);
        var type = (st.Mode & 0xF000) switch { 0x2000 => "c", 0x6000 => "b", _ => throw new HarnessException($"{path}: not a device node") };
        return new JsonObject
        {
            ["path"] = path,
            ["type"] = type,
            ["major"] = st.Major,
            ["minor"] = st.Minor,
            // /dev/fuse is world read-write on a node (the fuse module's udev rule, MODE="0666"); a machine
            // without udev (this one) leaves it 0600, which would refuse a non-root pod no node refuses.
            ["fileMode"] = path == "/dev/fuse" ? 0x1B6 : (int)(st.Mode & 0xFFF),
            ["uid"] = 0,
            ["gid"] = 0,
        };
    }

    internal static string Octal(int mode) => Convert.ToString(mode, 8).PadLeft(4, '0').ToString(CultureInfo.InvariantCulture);
}
