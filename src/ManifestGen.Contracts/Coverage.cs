using System.Collections.Immutable;
using System.IO.Enumeration;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ManifestGen.Contracts;

/// <summary>
/// What the gate's discovery (<see cref="RemoteCommands.Discover"/>) reports of a host: its compose
/// projects with their files, services, images, mounts and states, and nothing else (the gate filters
/// docker's answers down to these fields).
/// </summary>
public sealed record HostDiscovery
{
    public const int CurrentFormat = 1;
    public required int Format { get; init; }
    public ImmutableArray<DiscoveredProject> Projects { get; init; } = [];
}

public sealed record DiscoveredProject
{
    public required string Name { get; init; }
    public string Status { get; init; } = "";
    public ImmutableArray<string> ConfigFiles { get; init; } = [];
    /// <summary>The compose folder (compose's working_dir label); null when no container names it.</summary>
    public string? WorkingDir { get; init; }
    public ImmutableArray<DiscoveredContainer> Containers { get; init; } = [];

    /// <summary>The project's folder: its working directory, else the folder of its first compose file.</summary>
    [JsonIgnore]
    public string? Folder => WorkingDir ?? (ConfigFiles.IsDefaultOrEmpty ? null : Path.GetDirectoryName(ConfigFiles[0]));
}

public sealed record DiscoveredContainer
{
    public required string Name { get; init; }
    public required string Service { get; init; }
    public required string Image { get; init; }
    public string State { get; init; } = "";
    public bool Running { get; init; }
    public ImmutableArray<DiscoveredMount> Mounts { get; init; } = [];
}

public sealed record DiscoveredMount
{
    /// <summary>bind, volume (a named volume, <see cref="Name"/>), tmpfs, …</summary>
    public required string Type { get; init; }
    /// <summary>Where the data lies on the host (for a named volume its mount point).</summary>
    public required string Source { get; init; }
    public required string Destination { get; init; }
    public string? Name { get; init; }
    public bool ReadOnly { get; init; }
}

/// <summary>What the coverage job found missing, one kind per rule.</summary>
public enum CoverageFindingKind
{
    /// <summary>A compose project no app of the host backs up.</summary>
    ProjectWithoutApp,
    /// <summary>A bind mount or named volume of a covered project that no app path holds.</summary>
    MountNotBackedUp,
    /// <summary>A mount that an app path holds but one of the app's excludes leaves out.</summary>
    MountExcluded,
    /// <summary>A database container in a covered project whose apps have no dump for it.</summary>
    DatabaseWithoutDump,
}

public sealed record CoverageFinding
{
    public required CoverageFindingKind Kind { get; init; }
    public required string Project { get; init; }
    /// <summary>The apps that cover the project (none for <see cref="CoverageFindingKind.ProjectWithoutApp"/>).</summary>
    public ImmutableArray<string> Apps { get; init; } = [];
    public string? Service { get; init; }
    public string? Image { get; init; }
    /// <summary>The host path of the mount (a volume's mount point).</summary>
    public string? Path { get; init; }
    public string? Volume { get; init; }
    /// <summary>The exclude pattern that leaves the mount out (<see cref="CoverageFindingKind.MountExcluded"/>).</summary>
    public string? Exclude { get; init; }
    /// <summary>postgres, mariadb, mysql, mongodb or redis (<see cref="CoverageFindingKind.DatabaseWithoutDump"/>).</summary>
    public string? Database { get; init; }
    public required string Message { get; init; }
}

/// <summary>The coverage job's result for one host: what the host has and what of it no app backs up.</summary>
public sealed record CoverageReport
{
    public required string Host { get; init; }
    public required HostDiscovery Discovery { get; init; }
    public ImmutableArray<CoverageFinding> Findings { get; init; } = [];

    public int Count(CoverageFindingKind kind) => Findings.Count(f => f.Kind == kind);
}

/// <summary>
/// Compares a host's discovery with the apps the inventory has for it. Pure: the coverage job runs it on
/// the gate's answer, <c>manifestgen discover</c> reads its result.
/// </summary>
public static class CoverageAnalysis
{
    /// <summary>
    /// Host paths a container mounts that are not data: the system's own (the docker socket, the clock,
    /// kernel interfaces). A mount below one of them is never a finding.
    /// </summary>
    public static readonly ImmutableArray<string> SystemPaths =
        ["/proc", "/sys", "/dev", "/run", "/var/run", "/etc/localtime", "/etc/timezone", "/etc/hosts", "/etc/resolv.conf"];

    public static CoverageReport Compare(string host, HostDiscovery discovery, IReadOnlyList<AppConfig> apps)
    {
        var findings = new List<CoverageFinding>();
        foreach (var project in discovery.Projects)
        {
            var covering = apps.Where(a => Covers(a, project)).Select(a => a.Name).Order(StringComparer.Ordinal).ToImmutableArray();
            if (covering.IsEmpty)
            {
                findings.Add(new CoverageFinding
                {
                    Kind = CoverageFindingKind.ProjectWithoutApp, Project = project.Name, Path = project.Folder,
                    Message = $"compose project '{project.Name}' ({project.Folder ?? "no folder"}) is backed up by no app",
                });
                continue;
            }
            var mine = apps.Where(a => covering.Contains(a.Name)).ToList();
            foreach (var c in project.Containers)
            {
                foreach (var m in DataMounts(c))
                {
                    var holder = apps.Where(a => a.Paths.Any(p => Contains(p, m.Source))).ToList();
                    var what = m.Name is null ? $"bind mount {m.Source}" : $"volume '{m.Name}' ({m.Source})";
                    if (holder.Count == 0)
                    {
                        findings.Add(new CoverageFinding
                        {
                            Kind = CoverageFindingKind.MountNotBackedUp, Project = project.Name, Apps = covering, Service = c.Service,
                            Image = c.Image, Path = m.Source, Volume = m.Name,
                            Message = $"{what} of service '{c.Service}' in project '{project.Name}' is in no app's paths",
                        });
                        continue;
                    }
                    // Backed up when one app holding it does not exclude it.
                    var excluded = holder.Select(a => (App: a, Exclude: ExcludeOf(a, m.Source))).ToList();
                    if (excluded.All(e => e.Exclude is not null))
                    {
                        var (app, exclude) = excluded[0];
                        findings.Add(new CoverageFinding
                        {
                            Kind = CoverageFindingKind.MountExcluded, Project = project.Name, Apps = [app.Name], Service = c.Service,
                            Image = c.Image, Path = m.Source, Volume = m.Name, Exclude = exclude,
                            Message = $"{what} of service '{c.Service}' in project '{project.Name}' is excluded from app '{app.Name}' by '{exclude}'",
                        });
                    }
                }
                if (DatabaseOf(c.Image) is { } db && !mine.Any(a => Dumps(a, db)))
                {
                    findings.Add(new CoverageFinding
                    {
                        Kind = CoverageFindingKind.DatabaseWithoutDump, Project = project.Name, Apps = covering, Service = c.Service,
                        Image = c.Image, Database = db,
                        Message = $"{db} service '{c.Service}' in project '{project.Name}' has no dump in app {string.Join(", ", covering.Select(a => "'" + a + "'"))}: its files copied while it runs may not restore",
                    });
                }
            }
        }
        return new CoverageReport { Host = host, Discovery = discovery, Findings = [.. findings] };
    }

    /// <summary>An app covers a project when its compose folder is the project's, or one of its paths holds the project's folder or a compose file.</summary>
    public static bool Covers(AppConfig app, DiscoveredProject project) =>
        (app.Hooks.ComposeDirectory is { } dir && project.Folder is { } folder && SamePath(dir, folder)) ||
        app.Paths.Any(p => (project.Folder is { } f && Contains(p, f)) || project.ConfigFiles.Any(c => Contains(p, c)));

    /// <summary>The bind mounts and named volumes of a container that hold data (not the system's paths).</summary>
    public static IEnumerable<DiscoveredMount> DataMounts(DiscoveredContainer c) =>
        c.Mounts.Where(m => m.Type is "bind" or "volume" && m.Source.StartsWith('/') && !SystemPaths.Any(s => Contains(s, m.Source)));

    /// <summary>Whether <paramref name="path"/> is <paramref name="root"/> or lies below it.</summary>
    public static bool Contains(string root, string path)
    {
        var r = root.TrimEnd('/');
        return SamePath(r, path) || path.StartsWith(r + "/", StringComparison.Ordinal);
    }

    private static bool SamePath(string a, string b) => string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.Ordinal);

    /// <summary>
    /// The app's exclude pattern that leaves <paramref name="path"/> (or a folder above it) out, or null:
    /// restic's patterns, `*` and `?` within a name: one starting with `/` matches from the root, one
    /// without a `/` matches any name on the path.
    /// </summary>
    public static string? ExcludeOf(AppConfig app, string path)
    {
        var names = path.Trim('/').Split('/');
        foreach (var e in app.Excludes)
        {
            var pattern = e.TrimEnd('/');
            if (pattern.StartsWith('/'))
            {
                var parts = pattern.Trim('/').Split('/');
                if (parts.Length <= names.Length && parts.Select((p, i) => FileSystemName.MatchesSimpleExpression(p, names[i], ignoreCase: false)).All(x => x))
                    return e;
            }
            else if (!pattern.Contains('/') && names.Any(n => FileSystemName.MatchesSimpleExpression(pattern, n, ignoreCase: false)))
                return e;
        }
        return null;
    }

    /// <summary>The database an image runs, by the last part of its repository name: postgres, mariadb, mysql, mongodb, redis, or null.</summary>
    public static string? DatabaseOf(string image)
    {
        var name = image.Split('@')[0];
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > slash) name = name[..colon];
        name = name[(slash + 1)..].ToLowerInvariant();
        return name switch
        {
            _ when name.StartsWith("postgres", StringComparison.Ordinal) || name.StartsWith("postgis", StringComparison.Ordinal) || name.StartsWith("timescaledb", StringComparison.Ordinal) => "postgres",
            _ when name.StartsWith("mariadb", StringComparison.Ordinal) => "mariadb",
            _ when name.StartsWith("mysql", StringComparison.Ordinal) || name.StartsWith("percona", StringComparison.Ordinal) => "mysql",
            _ when name.StartsWith("mongo", StringComparison.Ordinal) => "mongodb",
            _ when name.StartsWith("redis", StringComparison.Ordinal) || name.StartsWith("valkey", StringComparison.Ordinal) => "redis",
            _ => null,
        };
    }

    /// <summary>The programs a dump of each database runs; an app dumps it when a dump or a before hook runs one.</summary>
    public static readonly ImmutableDictionary<string, ImmutableArray<string>> DumpPrograms = new Dictionary<string, ImmutableArray<string>>
    {
        ["postgres"] = ["pg_dump", "pg_dumpall", "pg_basebackup"],
        ["mariadb"] = ["mariadb-dump", "mysqldump", "mariabackup", "mariadb-backup"],
        ["mysql"] = ["mysqldump", "mariadb-dump", "xtrabackup", "mysqlsh"],
        ["mongodb"] = ["mongodump"],
        ["redis"] = ["redis-cli", "valkey-cli"],
    }.ToImmutableDictionary(StringComparer.Ordinal);

    private static bool Dumps(AppConfig app, string database) =>
        app.Hooks.Dumps.Select(d => d.Command).Concat(app.Hooks.Before.Select(h => h.Run))
            .Any(line => DumpPrograms[database].Any(p => line.Contains(p, StringComparison.Ordinal)));
}

/// <summary>The JSON form of the discovery and the coverage report (camelCase, enums as kebab-case strings, as in the run summary).</summary>
public static class CoverageJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = CoverageJsonContext.Default,
        Converters = { new JsonStringEnumConverter<CoverageFindingKind>(JsonNamingPolicy.KebabCaseLower) },
    };

    private static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    /// <summary>The gate's answer; throws <see cref="JobConfigException"/> naming <paramref name="source"/> when it is not one.</summary>
    public static HostDiscovery ParseDiscovery(string json, string source)
    {
        HostDiscovery? d;
        try
        {
            d = JsonSerializer.Deserialize(json, Info<HostDiscovery>());
        }
        catch (JsonException ex)
        {
            throw new JobConfigException($"{source}: not a discovery: {ex.Message}");
        }
        if (d is null) throw new JobConfigException($"{source}: empty");
        if (d.Format != HostDiscovery.CurrentFormat)
            throw new JobConfigException($"{source}: discovery format {d.Format} is not {HostDiscovery.CurrentFormat}: install the gate of this release");
        return d;
    }

    public static string Serialize(CoverageReport report) => JsonSerializer.Serialize(report, Info<CoverageReport>());

    /// <summary>
    /// A coverage report: the coverage job's summary line (its <c>coverage</c> field) or the report itself.
    /// Throws <see cref="JobConfigException"/> naming <paramref name="source"/>.
    /// </summary>
    public static CoverageReport ParseReport(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.Trim().Split('\n').Last(l => l.TrimStart().StartsWith('{')));
            var root = doc.RootElement.TryGetProperty("coverage", out var inner) ? inner : doc.RootElement;
            if (!root.TryGetProperty("discovery", out _) && doc.RootElement.TryGetProperty("command", out var command))
                throw new JobConfigException($"{source}: the summary of a `{command}` run holds no coverage report" +
                    (doc.RootElement.TryGetProperty("error", out var error) ? $" (it failed: {error})" : ""));
            return root.Deserialize(Info<CoverageReport>()) ?? throw new JobConfigException($"{source}: empty");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new JobConfigException($"{source}: not a coverage report (the coverage job's summary line): {ex.Message}");
        }
    }
}

[JsonSerializable(typeof(HostDiscovery))]
[JsonSerializable(typeof(CoverageReport))]
internal sealed partial class CoverageJsonContext : JsonSerializerContext;
