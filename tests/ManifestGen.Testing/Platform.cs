// Fixtures start Linux tools (sshd, unshare, FUSE); they run on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
