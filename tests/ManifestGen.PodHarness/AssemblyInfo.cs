// Namespaces, bind mounts and chroot exist only on Linux; so does this harness.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
