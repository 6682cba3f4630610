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

    /// <summary>
    /// Creates the password file and, unless <paramref name="initialise"/> is false, the repository: a copy of
    /// one that `restic init` made for this test process (its config and folders; so every copy has the same
    /// repository ID and chunker polynomial, which nothing of a test's compares), opened by a key of its own
    /// for its own password with the cheap KDF parameters of <see cref="ResticKeyFile"/>. Every copy is a
    /// repository of its own: no test shares snapshots, locks or a cache with another.
    /// </summary>
    public static async Task<ResticRepo> CreateAsync(bool initialise = true)
    {
        var repo = new ResticRepo(new TempDir("mgtest-repo-"));
        try
        {
            if (initialise)
            {
                var template = await Template.Value;
                CopyTree(template.Repository, repo.Location);
                var (id, content) = ResticKeyFile.Create(File.ReadAllText(repo.PasswordFile).Trim(), template.MasterKey);
                File.WriteAllBytes(Path.Combine(repo.Location, "keys", id), content);
            }
            return repo;
        }
        catch
        {
            repo.Dispose();
            throw;
        }
    }

    private sealed record RepositoryTemplate(string Repository, string MasterKey);

    /// <summary>One `restic init` per test process (half a second of CPU for its KDF calibration and again to open it); its key is removed once its master key is read.</summary>
    private static readonly Lazy<Task<RepositoryTemplate>> Template = new(async () =>
    {
        var dir = new TempDir("mgtest-repo-template-");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Dispose();
        var init = new ResticRepo(dir);
        await init.CheckedAsync("init");
        var master = await init.CheckedAsync("cat", "masterkey");
        foreach (var key in Directory.GetFiles(Path.Combine(init.Location, "keys"))) File.Delete(key);
        return new RepositoryTemplate(init.Location, master);
    });

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, dir)));
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)));
    }

    public RepositoryConfig ToRepositoryConfig(string? passwordFile = null) => new()
    {
        Location = Location,
        PasswordFile = passwordFile ?? PasswordFile,
        CacheDir = CacheDir,
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
        Proc.RunAsync("restic", args, Patience.Progress, Environment);

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
