using System.Collections.Immutable;

namespace ManifestGen.PodHarness.Sandbox;

/// <summary>A bind mount into the sandbox's root: a host file or folder shown at <see cref="Target"/>.</summary>
public sealed record SandboxMount(string Source, string Target, bool ReadOnly, bool IsFile);

/// <summary>A host file copied into the sandbox's root at <see cref="Target"/> with an octal <see cref="Mode"/>.</summary>
public sealed record SandboxFile(string Source, string Target, string Mode);

/// <summary>Everything the launcher needs to build one sandbox and exec its process.</summary>
public sealed record SandboxSpec
{
    public required string Hostname { get; init; }
    public long Uid { get; init; }
    public long Gid { get; init; }
    /// <summary>Supplementary groups (fsGroup, supplementalGroups).</summary>
    public ImmutableArray<long> Groups { get; init; } = [];
    /// <summary>Capability bounding set, lower-case names without CAP_; null keeps all (privileged).</summary>
    public ImmutableArray<string>? Capabilities { get; init; }
    public bool NoNewPrivileges { get; init; }
    public bool ReadOnlyRoot { get; init; }
    public string WorkingDir { get; init; } = "/";
    public required ImmutableArray<string> Argv { get; init; }
    /// <summary>The process's whole environment; nothing of the harness's own is added.</summary>
    public required ImmutableDictionary<string, string> Environment { get; init; }
    public ImmutableArray<SandboxMount> Mounts { get; init; } = [];
    public ImmutableArray<SandboxFile> Files { get; init; } = [];
    /// <summary>Host device nodes made available (e.g. /dev/fuse for a privileged pod).</summary>
    public ImmutableArray<string> Devices { get; init; } = [];
    /// <summary>Named network namespace (under /run/netns) the sandbox joins; null keeps the caller's.</summary>
    public string? NetworkNamespace { get; init; }
}
