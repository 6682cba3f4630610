using System.Collections.Immutable;
using System.Text.Json;
using ManifestGen.PodHarness.Processes;

namespace ManifestGen.PodHarness.Runtime;

/// <summary>
/// The runner image as image/make-image.sh built and exported it: a root filesystem and the image's config
/// (user, environment, entrypoint, working directory). Every pod runs in this root, whatever its
/// <c>image:</c> names (no registry is reachable; the rendered reference is the release of this same build).
/// </summary>
public sealed record RunnerImage(
    string Directory,
    string Reference,
    string Id,
    long Size,
    string? User,
    ImmutableArray<string> Env,
    ImmutableArray<string> Entrypoint,
    ImmutableArray<string> Cmd,
    string? WorkingDir)
{
    public string Rootfs => Path.Combine(Directory, "rootfs");

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static RunnerImage? _built;

    /// <summary>Reads an exported image folder (rootfs/ and image.json).</summary>
    public static RunnerImage Load(string directory)
    {
        var json = Path.Combine(directory, "image.json");
        if (!File.Exists(json) || !System.IO.Directory.Exists(Path.Combine(directory, "rootfs")))
            throw new HarnessException($"{directory}: not an exported image (image.json and rootfs/ expected; run make image)");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        var config = root.GetProperty("config");
        static ImmutableArray<string> List(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? [.. v.EnumerateArray().Select(x => x.GetString() ?? "")] : [];
        static string? Str(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;
        return new RunnerImage(directory, root.GetProperty("ref").GetString()!, root.GetProperty("id").GetString()!,
            root.GetProperty("size").GetInt64(), Str(config, "User"), List(config, "Env"), List(config, "Entrypoint"),
            List(config, "Cmd"), Str(config, "WorkingDir"));
    }

    /// <summary>
    /// Builds (or finds in the cache) the image of this checkout through image/make-image.sh, once per process.
    /// MANIFESTGEN_IMAGE_DIR names an exported image folder to use as it is.
    /// </summary>
    public static async Task<RunnerImage> EnsureAsync(CancellationToken ct = default)
    {
        await Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_built is not null) return _built;
            if (Environment.GetEnvironmentVariable("MANIFESTGEN_IMAGE_DIR") is { Length: > 0 } given)
                return _built = Load(given);
            var script = Path.Combine(Testing.RepoPaths.Root, "image", "make-image.sh");
            // Cold, this builds a base system and the image (minutes); warm it only hashes the sources.
            var r = await Proc.RunAsync("/bin/bash", [script], TimeSpan.FromMinutes(45), cancellationToken: ct).ConfigureAwait(false);
            r.EnsureSuccess("image/make-image.sh");
            var dir = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()
                ?? throw new HarnessException("image/make-image.sh printed no image folder");
            return _built = Load(dir.Trim());
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>uid, primary gid and the groups /etc/group lists the user in, as containerd reads them from the image.</summary>
    public (long Uid, long Gid, ImmutableArray<long> Groups) ResolveUser(string user)
    {
        var passwd = ReadDb("passwd");
        string[]? entry = long.TryParse(user, out var numeric)
            ? passwd.FirstOrDefault(f => f.Length > 3 && f[2] == user)
            : passwd.FirstOrDefault(f => f.Length > 3 && f[0] == user)
              ?? throw new HarnessException($"image user '{user}' is not in the image's /etc/passwd");
        var uid = entry is null ? numeric : long.Parse(entry[2], System.Globalization.CultureInfo.InvariantCulture);
        var gid = entry is null ? 0 : long.Parse(entry[3], System.Globalization.CultureInfo.InvariantCulture);
        var groups = ImmutableArray.CreateBuilder<long>();
        if (entry is not null)
            foreach (var g in ReadDb("group"))
                if (g.Length > 3 && g[3].Split(',').Contains(entry[0]))
                    groups.Add(long.Parse(g[2], System.Globalization.CultureInfo.InvariantCulture));
        return (uid, gid, groups.ToImmutable());
    }

    private IEnumerable<string[]> ReadDb(string name)
    {
        var file = Path.Combine(Rootfs, "etc", name);
        return File.Exists(file) ? File.ReadAllLines(file).Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split(':')) : [];
    }
}
