namespace ManifestGen.PodHarness;

/// <summary>
/// Something in a manifest the harness cannot honour, or a sandbox that could not be set up.
/// Always thrown, never logged and skipped: a silently ignored field would let generator and runner disagree.
/// </summary>
public sealed class HarnessException(string message) : Exception(message);
