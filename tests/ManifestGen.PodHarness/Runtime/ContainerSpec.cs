using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace ManifestGen.PodHarness.Runtime;

/// <summary>One mount of the runtime spec: a bind of a prepared host folder or file, or a kernel file system.</summary>
public sealed record ContainerMount(string Destination, string Type, string Source, ImmutableArray<string> Options);

/// <summary>
/// What the kubelet and containerd decide for one container, in the terms of the OCI runtime spec.
/// <see cref="OciSpec"/> turns it into config.json; <see cref="RuncContainer"/> runs it.
/// </summary>
public sealed record ContainerSpec
{
    public required string Id { get; init; }
    public required string Hostname { get; init; }
    public long Uid { get; init; }
    public long Gid { get; init; }
    public ImmutableArray<long> AdditionalGids { get; init; } = [];
    /// <summary>Bounding = permitted = effective (CAP_ names); inheritable and ambient stay empty, as in containerd.</summary>
    public ImmutableArray<string> Capabilities { get; init; } = [];
    public bool NoNewPrivileges { get; init; }
    public bool ReadOnlyRoot { get; init; }
    public bool Privileged { get; init; }
    public string Cwd { get; init; } = "/";
    public required ImmutableArray<string> Args { get; init; }
    /// <summary>"NAME=value" in the order containerd writes them.</summary>
    public required ImmutableArray<string> Env { get; init; }
    public ImmutableArray<ContainerMount> Mounts { get; init; } = [];
    /// <summary>linux.seccomp, or null for none (Unconfined, or privileged).</summary>
    public JsonObject? Seccomp { get; init; }
    public long? MemoryLimitBytes { get; init; }
    /// <summary>Named network namespace (under /run/netns) to join; null gives a fresh one with loopback only.</summary>
    public string? NetworkNamespace { get; init; }
    /// <summary>Host device nodes given to the container (a privileged pod's /dev/fuse).</summary>
    public ImmutableArray<string> Devices { get; init; } = [];
}
