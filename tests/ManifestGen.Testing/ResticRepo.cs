using System.Collections.Immutable;
using System.Text.Json;
using ManifestGen.Contracts;
using ManifestGen.Runner.Processes;
using ManifestGen.Runner.Restic;

namespace ManifestGen.Testing;

/// <summary>A real restic repository in a temp dir, with a generated password in a file (mode 0400).</summary>
public sealed class ResticRepo : IDisposable
{
    private readonly TempDir _dir;

    public string Location { get; }
    public string PasswordFile { get; }
    public string CacheDir { get; }

    private ResticRepo(TempDir dir)
    {
        _dir = dir;
        Location = dir.Combine("repo");
        CacheDir = dir.Combine("cache");
        PasswordFile = dir.Write("password", Convert.ToHexString(Guid.NewGuid().ToByteArray()) + "\n");
        File.SetUnixFileMode(PasswordFile, UnixFileMode.UserRead);
    }

    /// <summary>Creates the password file and, unless <paramref name="initialise"/> is false, the repository.</summary>
    public static async Task<ResticRepo> CreateAsync(bool initialise = true)
    {
        var repo = new ResticRepo(new TempDir("mgtest-repo-"));
        if (initialise) await repo.CheckedAsync("init");
        return repo;
    }

    public RepositoryConfig ToRepositoryConfig(string? passwordFile = null) => new()
    {
        Location = Location,
        PasswordFile = passwordFile ?? PasswordFile,
        CacheDir = CacheDir,
        // Shorter than the 30-second job deadlines of the dead man's switch tests (the rule every job.json meets).
        RetryLockSeconds = 20,
    };

    /// <summary>A file holding a password that is not this repository's.</summary>
    public string WriteWrongPassword() => _dir.Write("wrong-password", "not-the-password\n");

    /// <summary>Variables that point restic at this repository (for processes a test starts itself).</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["RESTIC_REPOSITORY"] = Location,
        ["RESTIC_PASSWORD_FILE"] = PasswordFile,
        ["RESTIC_CACHE_DIR"] = CacheDir,
        ["RESTIC_PASSWORD"] = null,
    };

    public Task<ProcessResult> RunAsync(params string[] args) =>
        Proc.RunAsync("restic", args, TimeSpan.FromMinutes(5), Environment);

    public async Task<string> CheckedAsync(params string[] args)
    {
        var r = await RunAsync(args);
        if (!r.Succeeded) throw new InvalidOperationException($"restic {string.Join(' ', args)} failed (exit {r.ExitCode}): {r.Stderr}");
        return r.Stdout;
    }

    public async Task<ImmutableArray<SnapshotInfo>> SnapshotsAsync(params string[] filter)
    {
        var json = await CheckedAsync(["snapshots", "--json", .. filter]);
        return [.. JsonSerializer.Deserialize<SnapshotInfo[]>(json) ?? []];
    }

    /// <summary>Lock files currently in the repository (a local repository keeps them in locks/).</summary>
    public ImmutableArray<string> Locks() =>
        Directory.Exists(Path.Combine(Location, "locks")) ? [.. Directory.GetFiles(Path.Combine(Location, "locks"))] : [];

    public void Dispose() => _dir.Dispose();
}
