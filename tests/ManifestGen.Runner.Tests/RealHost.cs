using System.Collections.Immutable;
using System.Text;
using ManifestGen.Contracts;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// One real sshd for the integration tests, with a recording `docker` on its sessions' PATH: the compose
/// CLI does not run here, so the fake prints and changes the running set kept in a state file and
/// appends every call to a log the hook tests read.
/// <para>
/// Its variant <see cref="SystemdHost"/> runs the same sshd inside a booted Debian host whose PID 1 is
/// systemd (<see cref="SystemdContainer"/>); the fake `docker`, the scenarios' folders and the repository's
/// host/ folder are seen there at their own paths.
/// </para>
/// </summary>
public class RealHost : IAsyncLifetime
{
    private readonly bool _systemd;
    private readonly LoginUser? _login;
    private TempDir _bin = null!;
    public SshHost Ssh { get; private set; } = null!;
    public string FakeBin => _bin.Path;
    /// <summary>The booted host the sshd runs in (<see cref="SystemdHost"/>); null when it runs on this machine.</summary>
    public SystemdContainer? Container { get; private set; }
    /// <summary>Where scenarios create the host's folders: the system temp dir, or a folder the container shares.</summary>
    public string? TempRoot => Container?.SharedDirectory;

    public RealHost() : this(systemd: false)
    {
    }

    protected RealHost(bool systemd, LoginUser? login = null)
    {
        _systemd = systemd;
        _login = login;
    }

    /// <summary>The committed answers of the stand-in `docker` to the discovery's questions (README there).</summary>
    public static string DockerFixtures => Path.Combine(RepoPaths.Root, "tests", "fixtures", "docker-discovery");

    /// <summary>Every discovery question (and other non-compose call) the stand-in `docker` was asked, one a line.</summary>
    public string DockerDiscoveryCalls => Path.Combine(FakeBin, "docker-discovery.calls");

    /// <summary>Folder first on the sessions' PATH, empty: a test puts a program there to replace the host's (an older rsync).</summary>
    public string HostBin => Path.Combine(FakeBin, "host-bin");

    /// <summary>
    /// Puts a <paramref name="program"/> first on the sessions' PATH that hangs when its arguments match the
    /// shell pattern <paramref name="arguments"/> (as on a host whose disk stalls) and runs
    /// <paramref name="real"/> otherwise. The hang ends when the returned file is deleted (an hour at most):
    /// the session it hangs in outlives the runner's ssh.
    /// </summary>
    public string HangingProgram(string program, string arguments, string real)
    {
        var path = Path.Combine(HostBin, program);
        File.WriteAllText(path, $"#!/bin/sh\ncase \"$*\" in {arguments}) i=0; while [ -e \"$0\" ] && [ \"$i\" -lt 3600 ]; do sleep 1; i=$((i + 1)); done; exit 1 ;; esac\n" +
            $"exec {real} \"$@\"\n");
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
        return path;
    }

    /// <summary>The dead man's switch's file of an app in the SSH user's (root's) home on this host.</summary>
    public string StateFile(string app, string suffix) => Container is null
        ? HostState.StateFile(app, suffix)
        : Container.HostPath(Path.Combine("/root", RemoteCommands.StateDirectory, app + suffix));

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            // A booted host must not outlive a fixture that failed to start (sshd is the last step).
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        if (_systemd)
            Container = await SystemdContainer.StartAsync(Path.Combine(GatedHost.RepoRoot(), "image", "make-image.sh"),
                [Path.GetDirectoryName(GatedHost.GateProgram)!]);
        _bin = new TempDir("mgtest-bin-", TempRoot);
        // The discovery's answers (tests/fixtures/docker-discovery), copied where a booted host sees them too.
        var fixtures = Path.Combine(_bin.Path, "docker-fixtures");
        Directory.CreateDirectory(fixtures);
        foreach (var f in Directory.GetFiles(DockerFixtures, "*.json")) File.Copy(f, Path.Combine(fixtures, Path.GetFileName(f)));
        var docker = _bin.Write("docker", """
            #!/bin/sh
            # Fake `docker compose` for tests. State: $PWD/.running (one service a line); log: $PWD/.calls
            # The discovery's three questions, exactly as the gate asks them, are answered from the fixtures
            # next to this script and logged in docker-discovery.calls there; any other question fails.
            here=$(dirname "$0")
            case "$*" in
              "compose ls --all --format json")
                echo "$*" >> "$here/docker-discovery.calls"; cat "$here/docker-fixtures/compose-ls.json"; exit 0 ;;
              "ps --all --quiet --no-trunc --filter label=com.docker.compose.project")
                echo "$*" >> "$here/docker-discovery.calls"; jq -r '.[].Id' "$here/docker-fixtures/inspect.json"; exit 0 ;;
              "inspect --type container "*)
                echo "$*" >> "$here/docker-discovery.calls"; shift 3
                jq '[.[] | select(.Id as $i | $ARGS.positional | index($i))]' "$here/docker-fixtures/inspect.json" --args "$@"; exit 0 ;;
            esac
            [ "$1" = compose ] || { echo "$*" >> "$here/docker-discovery.calls"; echo "fake docker: only compose is supported" >&2; exit 2; }
            shift
            echo "compose $*" >> .calls
            case "$1" in
              ps) cat .running 2>/dev/null; exit 0 ;;
              stop) shift; for s in "$@"; do grep -vx "$s" .running > .running.new || true; mv .running.new .running; done
                # A test's fault to inject once the services are down (kill sshd, hang until killed).
                if [ -f .on-stop ]; then sh .on-stop; fi ;;
              start) shift; for s in "$@"; do echo "$s" >> .running; done ;;
              *) echo "fake docker: unsupported $1" >&2; exit 2 ;;
            esac
            """.Replace("\r", ""));
        File.SetUnixFileMode(docker, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            (_login is null ? 0 : UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute));
        Directory.CreateDirectory(HostBin);
        if (_login is not null) File.SetUnixFileMode(_bin.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        Ssh = await SshHost.StartAsync(new SshHostOptions
        {
            ExtraPath = [Path.Combine(_bin.Path, "host-bin"), _bin.Path],
            CommandPrefix = Container?.Enter ?? [],
            TempRoot = TempRoot,
            LoginUser = _login,
            // The booted host's /run is its own (its systemd answers there).
            PrivateRun = Container is null,
        });
    }

    public async Task DisposeAsync()
    {
        if (Ssh is not null) await Ssh.DisposeAsync();
        Ssh = null!;
        _bin?.Dispose();
        if (Container is not null) await Container.DisposeAsync();
        Container = null;
    }
}

/// <summary>
/// The real sshd with a non-root login (<see cref="User"/>), as on a production host: its home (with
/// ~/.ssh/authorized_keys, which sshd reads besides the fixture's file) is a folder of its own.
/// </summary>
public sealed class NonRootGateHost() : RealHost(systemd: false, login: User)
{
    public static readonly LoginUser User = new("mgbackup", 59990, 59990);
}

/// <summary>The real sshd inside a host whose PID 1 is systemd: one boot per test class that uses it.</summary>
public sealed class SystemdHost() : RealHost(systemd: true)
{
    /// <summary>Runs a command inside the host; asserts it succeeds and returns its output.</summary>
    public async Task<string> InsideAsync(params string[] command)
    {
        var r = await Container!.ExecAsync(command);
        Assert.True(r.Succeeded, $"{string.Join(' ', command)}: exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r.Stdout;
    }

    /// <summary>Every timer the host's systemd has loaded, waiting or elapsed (one line each).</summary>
    public Task<string> TimersAsync() => InsideAsync("systemctl", "list-timers", "--all", "--no-legend", "--no-pager", "--plain");

    /// <summary>The switch the host armed for an app: its kind and id (`systemd UNIT`, `nohup PID`, ...).</summary>
    public string[] SwitchFile(string app) => File.ReadAllText(StateFile(app, ".switch")).Split(' ', StringSplitOptions.TrimEntries);
}

/// <summary>What the runner tests share about the SSH user's side of the host: its switch markers, and polling.</summary>
public static class HostState
{
    /// <summary>App names are unique per run where the switch is armed: its markers live in the SSH user's home, shared by every test process.</summary>
    public static string UniqueApp(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The dead man's switch's file of an app (`.stopped` the marker, `.switch` the timer).</summary>
    public static string StateFile(string app, string suffix) =>
        Path.Combine(UserDatabase.HomeOf("root"), RemoteCommands.StateDirectory, app + suffix);

    /// <summary>The process id of a detached timer (the host without systemd or atd) from the switch file's "nohup PID" line.</summary>
    public static int DetachedTimer(string switchFile)
    {
        var words = switchFile.Split(' ', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words is ["nohup", _], $"a detached timer, not '{switchFile.Trim()}'");
        return int.Parse(words[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Polls a condition until it holds or the bound passes (a bound, not a sleep as synchronisation).</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan bound)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (sw.Elapsed < bound)
        {
            if (condition()) return true;
            await Task.Delay(200);
        }
        return condition();
    }
}

[CollectionDefinition(Name)]
public sealed class RealHostCollection : ICollectionFixture<RealHost>
{
    public const string Name = "real sshd, restic and rsync";
}

/// <summary>
/// A host folder with apps, a mirror per app path and a repository, per test. The runner runs in its
/// own mount namespace with each mirror bound at the host path, so snapshot paths equal host paths.
/// </summary>
public sealed class Scenario : IAsyncDisposable
{
    public TempDir Dir { get; }
    public ResticRepo Repo { get; private set; } = null!;
    public SshHost Ssh { get; }
    public string HostName { get; } = "kvm-test";

    private Scenario(SshHost ssh, string? tempRoot)
    {
        Ssh = ssh;
        Dir = new TempDir("mgtest-scn-", tempRoot);
    }

    public static async Task<Scenario> CreateAsync(RealHost host, bool initRepo = true)
    {
        var s = new Scenario(host.Ssh, host.TempRoot);
        s.Repo = await ResticRepo.CreateAsync(initRepo);
        return s;
    }

    public string AppDir(string app) => Dir.Combine("host", "srv", app);

    /// <summary>A compose-like app: compose file, config, data files (deterministic content).</summary>
    public string CreateApp(string app, int dataFiles = 20, int fileSize = 64 * 1024, int seed = 1)
    {
        var dir = AppDir(app);
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        File.WriteAllText(Path.Combine(dir, "compose.yaml"), $"services:\n  db:\n    image: postgres:16\n  web:\n    image: nginx\n");
        File.WriteAllText(Path.Combine(dir, "app.conf"), $"name = {app}\nport = 8080\n");
        var rnd = new Random(seed);
        for (var i = 0; i < dataFiles; i++)
        {
            var bytes = new byte[fileSize];
            rnd.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(dir, "data", $"blob-{i:D3}.bin"), bytes);
        }
        return dir;
    }

    /// <summary>
    /// An app with a unique name (the host's dead man's switch markers are per app name) whose compose
    /// service db runs, as the fake compose keeps it.
    /// </summary>
    public (string App, string Dir) CreateAppWithRunningDb(string prefix, int dataFiles)
    {
        var app = HostState.UniqueApp(prefix);
        var dir = CreateApp(app, dataFiles);
        File.WriteAllText(Path.Combine(dir, ".running"), "db\n");
        return (app, dir);
    }

    public AppConfig App(string name, TransferStrategy strategy = TransferStrategy.Rsync, ImmutableArray<string>? paths = null) => new()
    {
        Name = name,
        Paths = paths ?? [AppDir(name)],
        Strategy = strategy,
    };

    /// <summary>The pod's non-root user, once <see cref="RunAsPodUserAsync"/> was called; null runs the runner as root.</summary>
    public RunAs? PodUser { get; private set; }
    private string? _podIdentityFile, _podPasswordFile, _podKnownHosts;

    /// <summary>
    /// Every later runner process runs as the rendered pods do: uid and gid <see cref="PodIdentity"/>, fsGroup
    /// as its only supplementary group, no capabilities. The scenario's folders and the repository belong to
    /// that uid (as a volume with fsGroup); the key and password are copies as kubelet writes Secrets with
    /// fsGroup and mode 0440: owned by root, group fsGroup.
    /// </summary>
    public async Task RunAsPodUserAsync()
    {
        var owner = $"{PodIdentity.RunnerUid}:{PodIdentity.RunnerGid}";
        await Proc.CheckedAsync("chown", owner, Dir.Path);
        await Proc.CheckedAsync("chown", "-R", owner, Path.GetDirectoryName(Repo.Location)!);
        var secrets = Dir.Combine("secrets");
        Directory.CreateDirectory(secrets);
        string Secret(string source, string name)
        {
            var copy = Path.Combine(secrets, name);
            File.Copy(source, copy);
            File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.GroupRead);
            return copy;
        }
        _podIdentityFile = Secret(Ssh.IdentityFile, "ssh-privatekey");
        _podPasswordFile = Secret(Repo.PasswordFile, "password");
        _podKnownHosts = Secret(Ssh.KnownHostsFile, "known_hosts");
        await Proc.CheckedAsync("chown", "-R", $"0:{PodIdentity.RunnerGid}", secrets);
        var home = Dir.Combine("home");
        Directory.CreateDirectory(home);
        await Proc.CheckedAsync("chown", owner, home);
        PodUser = new RunAs(PodIdentity.RunnerUid, PodIdentity.RunnerGid, home);
    }

    public JobConfig Backup(AppConfig app, string? passwordFile = null, string? knownHosts = null, ReportingConfig? reporting = null) => new()
    {
        Version = JobConfig.CurrentVersion,
        Kind = JobKind.Backup,
        Environment = "test",
        Repository = Repo.ToRepositoryConfig(passwordFile ?? _podPasswordFile),
        Host = Ssh.ToHostConfig(HostName, knownHosts ?? _podKnownHosts) with { IdentityFile = _podIdentityFile ?? Ssh.IdentityFile },
        App = app,
        Reporting = reporting ?? new ReportingConfig(),
    };

    public JobConfig Maintenance(MaintenanceConfig m, JobKind kind = JobKind.Maintain) => new()
    {
        Version = JobConfig.CurrentVersion,
        Kind = kind,
        Environment = "test",
        Repository = Repo.ToRepositoryConfig(_podPasswordFile),
        Maintenance = m,
    };

    /// <summary>Mirror folders bound at the app's host paths (only paths that exist on the host).</summary>
    private string MirrorDir(string mountPoint) =>
        Dir.Combine("mirror", Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(mountPoint)))[..16]);

    /// <summary>Where the runner's copy of a host path lives (outside its mount namespace).</summary>
    public string MirrorOf(string hostPath) => PodUser is null
        ? MirrorDir(hostPath)
        : Path.Combine(MirrorDir(Path.GetDirectoryName(hostPath)!), Path.GetFileName(hostPath));

    /// <summary>
    /// Mirror folders bound where the runner expects the host's paths (only paths that exist on the host).
    /// As root: at each path. As the pod user: at each path's parent, the way the rendered pods mount the
    /// mirror claim, with the mount point as the kubelet leaves it (owned by root, group fsGroup, 2775).
    /// </summary>
    public IReadOnlyList<BindMount> Mounts(JobConfig config)
    {
        if (config.App is null) return [];
        var points = config.App.Paths.Where(Directory.Exists)
            .Select(p => PodUser is null ? p : Path.GetDirectoryName(p)!).Distinct(StringComparer.Ordinal);
        return [.. points.Select(p =>
        {
            var mirror = MirrorDir(p);
            Directory.CreateDirectory(mirror);
            if (PodUser is { } u)
            {
                FileOwnership.Chown(mirror, 0, u.Gid);
                File.SetUnixFileMode(mirror, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                    UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.SetGroup |
                    UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
            return new BindMount(mirror, p);
        })];
    }

    private int _configs;

    public string WriteConfig(JobConfig config) =>
        RunnerProcess.WriteConfig(Dir.Path, config, $"job-{Interlocked.Increment(ref _configs)}.json");

    public Task<RunnerRun> RunAsync(JobConfig config, params string[] args) => RunAsync(config, args, null);

    public Task<RunnerRun> RunAsync(JobConfig config, string[] args, string? pathPrefix) =>
        RunnerProcess.RunAsync(WriteConfig(config), args, Mounts(config), pathPrefix, runAs: PodUser);

    public async ValueTask DisposeAsync()
    {
        Repo.Dispose();
        Dir.Dispose();
        await Task.CompletedTask;
    }
}

// Further collections, each with its own sshd (so do the classes with a class fixture of RealHost): xunit
// runs collections in parallel (up to maxParallelThreads at once, xunit.runner.json: the tests mostly wait
// on sshd, rsync, restic and deadlines) and the tests inside one in order; a test that waits for a deadline
// has a class of its own, so its wait overlaps the others'. No two collections share a repository (every
// test makes its own Scenario) or an app name that stops services (the host's dead man's switch markers are
// per app name).
[CollectionDefinition(Name)]
public sealed class BackupFaultHostCollection : ICollectionFixture<RealHost>
{
    public const string Name = "backup refusals and reporting on a real sshd";
}

[CollectionDefinition(Name)]
public sealed class GateHostCollection : ICollectionFixture<RealHost>
{
    public const string Name = "the host gate and repository modes on a real sshd";
}

[CollectionDefinition(Name)]
public sealed class RestoreHostCollection : ICollectionFixture<RealHost>
{
    public const string Name = "restores, names and owners on a real sshd";
}

[CollectionDefinition(Name)]
public sealed class FaultHostCollection : ICollectionFixture<RealHost>
{
    public const string Name = "faults on a real sshd";
}

[CollectionDefinition(Name)]
public sealed class TransferHostCollection : ICollectionFixture<RealHost>
{
    public const string Name = "transfers on a real sshd";
}

[CollectionDefinition(Name)]
public sealed class RepositoryHostCollection : ICollectionFixture<RealHost>
{
    public const string Name = "repository jobs on a real sshd";
}
