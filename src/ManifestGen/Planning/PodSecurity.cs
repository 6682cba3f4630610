using ManifestGen.Contracts;

namespace ManifestGen.Planning;

/// <summary>
/// The one place that decides how a pod runs. Every pod runs as the image's non-root uid with a group of
/// the same number and fsGroup: all capabilities dropped, no privilege escalation, seccomp
/// <c>RuntimeDefault</c>, read-only root (Pod Security <c>restricted</c>). The rsync mirror keeps the
/// host's owners in xattrs (<c>rsync --fake-super</c>), so no job needs root. Only sshfs needs more.
/// </summary>
public static class PodSecurity
{
    /// <summary>0440: root-owned Secret files whose group kubelet sets to fsGroup, readable by the runner only through that group.</summary>
    public const int SecretMode = 0x120;

    /// <summary>Bound of the sshfs mount points' emptyDir: it holds empty folders only.</summary>
    public const string MountPointsSize = "1Mi";

    public static SecurityModel Restricted { get; } = new(
        PodIdentity.RunnerUid, PodIdentity.RunnerGid, PodIdentity.RunnerGid, Privileged: false, AllowPrivilegeEscalation: false,
        AddCapabilities: [], AppArmorUnconfined: false);

    /// <summary>
    /// sshfs mounts with FUSE: /dev/fuse and mount(2). The runner stays the non-root uid (it writes the
    /// repository as every other job does); the setuid <c>fusermount3</c> performs the mount, so privilege
    /// escalation must be allowed and <c>SYS_ADMIN</c> must be in the bounding set. The container runtime's
    /// default AppArmor profile denies mount; its default seccomp profile allows mount once SYS_ADMIN is
    /// granted. /dev/fuse comes from a device plugin, or from <c>privileged</c> where there is none.
    /// </summary>
    public static SecurityModel Sshfs(bool privileged) => privileged
        ? new(PodIdentity.RunnerUid, PodIdentity.RunnerGid, PodIdentity.RunnerGid, Privileged: true, AllowPrivilegeEscalation: null,
            AddCapabilities: [], AppArmorUnconfined: false)
        : new(PodIdentity.RunnerUid, PodIdentity.RunnerGid, PodIdentity.RunnerGid, Privileged: false, AllowPrivilegeEscalation: null,
            AddCapabilities: ["SYS_ADMIN"], AppArmorUnconfined: true);
}
