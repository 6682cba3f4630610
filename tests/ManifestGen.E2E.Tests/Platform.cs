// The harness uses Linux namespaces, bind mounts and chroot.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
// Tests start sandboxes, sshd and restic: one at a time on a small machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
