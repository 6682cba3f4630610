// The suite runs on Linux (make test installs its tools with apt), and the fixtures these tests share with
// the other projects (ManifestGen.Testing: the repository root, temp folders, processes) are Linux-only. The
// generator itself is not: its output is checked for the same bytes under other cultures and time zones.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
