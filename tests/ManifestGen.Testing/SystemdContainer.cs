using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ManifestGen.Runner.Processes;

namespace ManifestGen.Testing;

/// <summary>
/// A Debian trixie host with systemd as PID 1: the root filesystem `image/make-image.sh --systemd-host`
/// builds (cached), booted by runc under an overlay of this run (the cached root is never written), with
/// PID, mount, UTS, IPC and cgroup namespaces of its own and this machine's network namespace (the test's
/// sshd inside listens on 127.0.0.1 only; the image masks the package's own sshd). systemd sees a cgroup2
/// hierarchy of its own at /sys/fs/cgroup (runc's cgroup in the machine's unified hierarchy, through the
/// cgroup namespace), so it boots in unified mode on a hybrid machine; runc uses the cgroupfs driver and
/// explicit rlimits, as image/make-image.sh configures podman.
/// <para>
/// <see cref="SharedDirectory"/> and every folder given to <see cref="StartAsync"/> appear inside at the
/// same path, so paths in rendered files and job configurations mean the same file on both sides.
/// <see cref="Enter"/> runs a command inside (nsenter); <see cref="HostPath"/> reads a file of the
/// container's own from outside. Dispose shuts systemd down (SIGRTMIN+3), bounded, then kills and removes
/// the container, its cgroups and the overlay.
/// </para>
/// </summary>
public sealed class SystemdContainer : IAsyncDisposable
{
    private const string Runc = "runc";
    /// <summary>runc's state folder for these containers (ids are random per boot).</summary>
    private const string StateRoot = "/run/manifestgen-systemd-hosts";
    /// <summary>systemd's "halt" request (SIGRTMIN+3 on Linux).</summary>
    private const int SigRtMinPlus3 = 37;

    // Every capability runc 1.1 knows (Linux 5.9+), in bit order: systemd as PID 1 mounts, manages cgroups
    // and starts services as any user. Only those in this process's bounding set are given (runc cannot
    // grant more; a machine that runs the tests in a container has fewer).
    private static readonly ImmutableArray<string> KnownCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    private readonly TempDir _scratch;
    private readonly string _rootfs;
    private BackgroundProcess? _runc;

    public string Id { get; }
    /// <summary>systemd's process id as this machine sees it.</summary>
    public int Pid { get; private set; }
    /// <summary>A folder of this machine, seen inside at the same path.</summary>
    public string SharedDirectory { get; }

    /// <summary>Prefix that runs a command inside the container (its mount, UTS, IPC and PID namespaces).</summary>
    public ImmutableArray<string> Enter => ["nsenter", "-t", Pid.ToString(CultureInfo.InvariantCulture), "-m", "-u", "-i", "-p", "--"];

    /// <summary>Where this machine reads a path of the container's own file system (its root through /proc).</summary>
    public string HostPath(string pathInside) => $"/proc/{Pid.ToString(CultureInfo.InvariantCulture)}/root{pathInside}";

    private SystemdContainer(TempDir scratch)
    {
        _scratch = scratch;
        Id = "mgtest-systemd-" + Guid.NewGuid().ToString("N")[..12];
        _rootfs = scratch.Combine("bundle", "rootfs");
        SharedDirectory = scratch.Combine("shared");
    }

    /// <summary>
    /// Builds or finds the root (<paramref name="makeImageScript"/> --systemd-host), boots it and waits
    /// (bounded) until systemd reports the boot finished. <paramref name="readOnlyFolders"/> are bound
    /// read-only at their own paths.
    /// </summary>
    public static async Task<SystemdContainer> StartAsync(string makeImageScript, IEnumerable<string> readOnlyFolders, TimeSpan? bootTimeout = null)
    {
        // Cold, mmdebstrap builds the root (a minute or more, waiting on another build's lock); warm, it only hashes.
        var built = await Proc.RunAsync("bash", [makeImageScript, "--systemd-host"], TimeSpan.FromMinutes(30));
        if (!built.Succeeded)
            throw new InvalidOperationException($"{makeImageScript} --systemd-host failed (exit {built.ExitCode}): {built.Stderr}");
        var image = built.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Trim();
        var c = new SystemdContainer(new TempDir("mgtest-systemd-"));
        try
        {
            await c.BootAsync(Path.Combine(image, "rootfs"), readOnlyFolders, bootTimeout ?? Patience.Progress);
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    private async Task BootAsync(string lower, IEnumerable<string> readOnlyFolders, TimeSpan bootTimeout)
    {
        Directory.CreateDirectory(_rootfs);
        Directory.CreateDirectory(SharedDirectory);
        var upper = Directory.CreateDirectory(_scratch.Combine("layer", "upper")).FullName;
        var work = Directory.CreateDirectory(_scratch.Combine("layer", "work")).FullName;
        await CheckedAsync("mount", "-t", "overlay", "overlay", "-o", $"lowerdir={lower},upperdir={upper},workdir={work}", _rootfs);
        var bundle = _scratch.Combine("bundle");
        await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), Spec(readOnlyFolders).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        _runc = new BackgroundProcess(Runc, ["--root", StateRoot, "run", "--bundle", bundle, Id]);

        var sw = Stopwatch.StartNew();
        while (Pid == 0)
        {
            if (_runc.HasExited || sw.Elapsed > bootTimeout)
                throw new InvalidOperationException($"runc did not start {Id}: {_runc.Stderr}");
            var state = await Proc.RunAsync(Runc, ["--root", StateRoot, "state", Id], Patience.Command);
            if (state.Succeeded && JsonNode.Parse(state.Stdout)?["pid"]?.GetValue<int>() is > 0 and var pid) Pid = pid;
            else await Task.Delay(100);
        }
        // The manager's socket appears early in the boot; systemctl fails until then.
        while (!File.Exists(HostPath("/run/systemd/private")))
        {
            if (_runc.HasExited || sw.Elapsed > bootTimeout)
                throw new InvalidOperationException($"systemd in {Id} did not open its socket within {bootTimeout}: {_runc.Stderr}");
            await Task.Delay(100);
        }
        // Blocks until the boot transaction is done (or the bound passes). "degraded" (a unit of the image
        // failed on this machine's kernel) still has a working manager, which is all the tests need.
        var left = bootTimeout - sw.Elapsed;
        var running = await Proc.RunAsync(Enter[0], [.. Enter.Skip(1), "systemctl", "is-system-running", "--wait"],
            left > TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5));
        if (running.Stdout.Trim() is not ("running" or "degraded"))
        {
            var failed = await ExecAsync("systemctl", "--failed", "--no-pager", "--plain");
            throw new InvalidOperationException($"systemd in {Id} did not finish booting: '{running.Stdout.Trim()}' {running.Stderr}\n{failed.Stdout}\n{_runc.Stderr}");
        }
    }

    /// <summary>The OCI configuration: systemd as init, the mounts a booted system expects, no network namespace.</summary>
    private JsonObject Spec(IEnumerable<string> readOnlyFolders)
    {
        static JsonObject Mount(string destination, string type, string source, params string[] options) => new()
        {
            ["destination"] = destination, ["type"] = type, ["source"] = source,
            ["options"] = new JsonArray([.. options.Select(o => JsonValue.Create(o))]),
        };
        var caps = new JsonArray([.. BoundingCapabilities().Select(c => JsonValue.Create(c))]);
        var mounts = new JsonArray(
            Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
            // In the cgroup namespace this is the container's own subtree of the unified hierarchy.
            Mount("/sys/fs/cgroup", "cgroup2", "cgroup2", "nosuid", "noexec", "nodev", "rw"),
            Mount("/run", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=755"),
            Mount("/run/lock", "tmpfs", "tmpfs", "nosuid", "nodev", "noexec"),
            Mount("/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777"),
            Mount(SharedDirectory, "bind", SharedDirectory, "rbind", "rw"));
        foreach (var folder in readOnlyFolders)
            mounts.Add(Mount(folder, "bind", folder, "rbind", "ro"));
        // Lowering a limit is always permitted, raising one above this machine's hard limit is not.
        return new JsonObject
        {
            ["ociVersion"] = "1.0.2-dev",
            ["root"] = new JsonObject { ["path"] = _rootfs, ["readonly"] = false },
            ["hostname"] = "systemd-host",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                ["args"] = new JsonArray("/sbin/init"),
                // systemd behaves as in a container (no kernel modules, no hardware) when $container is set.
                ["env"] = new JsonArray("container=oci", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
                ["cwd"] = "/",
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = caps.DeepClone(), ["effective"] = caps.DeepClone(), ["permitted"] = caps.DeepClone(),
                },
                ["rlimits"] = new JsonArray(
                    new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = 16384, ["soft"] = 16384 },
                    new JsonObject { ["type"] = "RLIMIT_NPROC", ["hard"] = 4096, ["soft"] = 4096 }),
                ["noNewPrivileges"] = false,
            },
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["cgroupsPath"] = "/" + Id,
                ["resources"] = new JsonObject { ["devices"] = new JsonArray(new JsonObject { ["allow"] = true, ["access"] = "rwm" }) },
                ["namespaces"] = new JsonArray(
                    new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "ipc" }, new JsonObject { ["type"] = "uts" },
                    new JsonObject { ["type"] = "mount" }, new JsonObject { ["type"] = "cgroup" }),
            },
        };
    }

    /// <summary>The known capabilities in this process's bounding set (CapBnd of /proc/self/status).</summary>
    private static IEnumerable<string> BoundingCapabilities()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapBnd:", StringComparison.Ordinal));
        var mask = ulong.Parse(line["CapBnd:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return KnownCapabilities.Where((_, bit) => (mask & (1UL << bit)) != 0);
    }

    /// <summary>Runs a command inside the container (bounded).</summary>
    public Task<ProcessResult> ExecAsync(params string[] command) =>
        Proc.RunAsync(Enter[0], [.. Enter.Skip(1), .. command], Patience.Command);

    private static async Task CheckedAsync(string file, params string[] args)
    {
        var r = await Proc.RunAsync(file, args, Patience.Command);
        if (!r.Succeeded) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed (exit {r.ExitCode}): {r.Stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_runc is not null)
        {
            // systemd's orderly halt, then a bounded wait, then SIGKILL of the container's init.
            if (!_runc.HasExited)
                await Proc.RunAsync(Runc, ["--root", StateRoot, "kill", Id, SigRtMinPlus3.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(30));
            if (await _runc.WaitForExitAsync(TimeSpan.FromSeconds(30)) is null)
                await Proc.RunAsync(Runc, ["--root", StateRoot, "kill", Id, "KILL"], TimeSpan.FromSeconds(30));
            await _runc.DisposeAsync();
            await Proc.RunAsync(Runc, ["--root", StateRoot, "delete", "--force", Id], TimeSpan.FromSeconds(30));
        }
        // Lazily: a process of the container may hold it for a moment; the scratch folder goes only once nothing is mounted in it.
        var unmounted = await Proc.RunAsync("umount", ["--lazy", _rootfs], TimeSpan.FromSeconds(30));
        if (unmounted.Succeeded || unmounted.Stderr.Contains("not mounted", StringComparison.Ordinal) || !Directory.Exists(_rootfs))
            _scratch.Dispose();
    }
}
