using System.Collections.Immutable;
using System.Text;
using ManifestGen.Contracts;
using ManifestGen.Testing;

namespace ManifestGen.Runner.Tests;

/// <summary>
/// One real sshd for the integration tests, with a recording `docker` on its sessions' PATH: the compose
/// CLI does not run here, so the fake prints and changes the running set kept in a state file and
/// appends every call to a log the hook tests read.
/// </summary>
public sealed class RealHost : IAsyncLifetime
{
    private readonly TempDir _bin = new("mgtest-bin-");
    public SshHost Ssh { get; private set; } = null!;
    public string FakeBin => _bin.Path;

    public async Task InitializeAsync()
    {
        var docker = _bin.Write("docker", """
            #!/bin/sh
            # Fake `docker compose` for tests. State: $PWD/.running (one service a line); log: $PWD/.calls
            [ "$1" = compose ] || { echo "fake docker: only compose is supported" >&2; exit 2; }
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
        File.SetUnixFileMode(docker, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Ssh = await SshHost.StartAsync(new SshHostOptions { ExtraPath = [_bin.Path] });
    }

    public async Task DisposeAsync()
    {
        await Ssh.DisposeAsync();
        _bin.Dispose();
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
    public TempDir Dir { get; } = new("mgtest-scn-");
    public ResticRepo Repo { get; private set; } = null!;
    public SshHost Ssh { get; }
    public string HostName { get; } = "kvm-test";

    private Scenario(SshHost ssh) => Ssh = ssh;

    public static async Task<Scenario> CreateAsync(RealHost host, bool initRepo = true)
    {
        var s = new Scenario(host.Ssh);
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

    public AppConfig App(string name, TransferStrategy strategy = TransferStrategy.Rsync, ImmutableArray<string>? paths = null) => new()
    {
        Name = name,
        Paths = paths ?? [AppDir(name)],
        Strategy = strategy,
    };

    public JobConfig Backup(AppConfig app, string? passwordFile = null, string? knownHosts = null, ReportingConfig? reporting = null) => new()
    {
        Version = JobConfig.CurrentVersion,
        Kind = JobKind.Backup,
        Environment = "test",
        Repository = Repo.ToRepositoryConfig(passwordFile),
        Host = Ssh.ToHostConfig(HostName, knownHosts),
        App = app,
        Reporting = reporting ?? new ReportingConfig(),
    };

    public JobConfig Maintenance(MaintenanceConfig m, JobKind kind = JobKind.Maintain) => new()
    {
        Version = JobConfig.CurrentVersion,
        Kind = kind,
        Environment = "test",
        Repository = Repo.ToRepositoryConfig(),
        Maintenance = m,
    };

    /// <summary>Mirror folders bound at the app's host paths (only paths that exist on the host).</summary>
    public IReadOnlyList<BindMount> Mounts(JobConfig config) =>
        config.App is null ? [] : [.. config.App.Paths.Where(Directory.Exists).Select(p =>
        {
            var mirror = Dir.Combine("mirror", Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(p)))[..16]);
            Directory.CreateDirectory(mirror);
            return new BindMount(mirror, p);
        })];

    private int _configs;

    public string WriteConfig(JobConfig config) =>
        RunnerProcess.WriteConfig(Dir.Path, config, $"job-{Interlocked.Increment(ref _configs)}.json");

    public Task<RunnerRun> RunAsync(JobConfig config, params string[] args) => RunAsync(config, args, null);

    public Task<RunnerRun> RunAsync(JobConfig config, string[] args, string? pathPrefix) =>
        RunnerProcess.RunAsync(WriteConfig(config), args, Mounts(config), pathPrefix);

    public async ValueTask DisposeAsync()
    {
        Repo.Dispose();
        Dir.Dispose();
        await Task.CompletedTask;
    }
}

// Further collections, each with its own sshd: xunit runs collections in parallel and the tests inside
// one in order. No two collections share a repository (every test makes its own Scenario).
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
