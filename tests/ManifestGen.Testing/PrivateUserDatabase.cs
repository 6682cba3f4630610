namespace ManifestGen.Testing;

/// <summary>
/// A user and group of a test's own (the pod's uid for the runner, a non-root login for sshd), seen only by
/// the processes of one private mount namespace (<c>unshare -m</c>); the machine's user database is not
/// touched. <see cref="Script"/> puts an overlay on /etc whose upper layer, on a tmpfs of the namespace's
/// own, holds passwd and group: the entry first, then the machine's files as they were at that moment.
/// <para>
/// Not a file bound over /etc/passwd: the machine replaces /etc/passwd and /etc/group by rename whenever a
/// user or group is added or changed (useradd, a package's maintainer script, systemd-sysusers, another
/// checkout's package install), and the kernel detaches every mount whose mount point is renamed over in
/// another namespace. The bound file then vanished mid-test and the machine's file, without the entry,
/// showed through: "No user exists for uid 10001" from ssh, an sshd refusing its login user. The overlay is
/// mounted on /etc itself, which is never renamed, and mounts below /etc (a container's /etc/hosts or
/// /etc/resolv.conf) are bound again on top of it.
/// </para>
/// </summary>
public static class PrivateUserDatabase
{
    /// <summary>
    /// sh commands (for a script under <c>set -e</c>, run as root in a private mount namespace) that read three
    /// shell variables: <c>mg_etc</c> an empty folder of the test's own (a tmpfs is mounted on it),
    /// <c>mg_passwd</c> the passwd line and <c>mg_group</c> the group line to add.
    /// </summary>
    public const string Script =
        "mount -t tmpfs -o mode=0755 mg-etc \"$mg_etc\"; mkdir \"$mg_etc/upper\" \"$mg_etc/work\" \"$mg_etc/keep\"; " +
        "{ printf '%s\\n' \"$mg_passwd\"; cat /etc/passwd; } > \"$mg_etc/upper/passwd\"; " +
        "{ printf '%s\\n' \"$mg_group\"; cat /etc/group; } > \"$mg_etc/upper/group\"; " +
        "chmod 0644 \"$mg_etc/upper/passwd\" \"$mg_etc/upper/group\"; " +
        "mg_subs=$(awk '$5 ~ /^\\/etc\\// { print $5 }' /proc/self/mountinfo); mg_n=0; " +
        "for m in $mg_subs; do mg_n=$((mg_n+1)); " +
        "if [ -d \"$m\" ]; then mkdir \"$mg_etc/keep/$mg_n\"; else : > \"$mg_etc/keep/$mg_n\"; fi; " +
        "mount --bind \"$m\" \"$mg_etc/keep/$mg_n\"; done; " +
        "mount -t overlay mg-etc -o \"lowerdir=/etc,upperdir=$mg_etc/upper,workdir=$mg_etc/work\" /etc; " +
        "mg_n=0; for m in $mg_subs; do mg_n=$((mg_n+1)); mount --bind \"$mg_etc/keep/$mg_n\" \"$m\"; done; ";
}
