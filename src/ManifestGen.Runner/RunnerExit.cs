namespace ManifestGen.Runner;

/// <summary>
/// The runner's exit codes. restic's own codes are kept where they mean the same thing, so an operator
/// reading a failed Job sees the cause without the log.
/// </summary>
public enum RunnerExit
{
    Ok = 0,
    Failure = 1,
    /// <summary>Bad arguments, bad job configuration, or an unusable environment (restic too old).</summary>
    Usage = 2,
    /// <summary>Snapshot saved but some files were unreadable, and the app treats that as failure.</summary>
    Partial = 3,
    RepositoryMissing = 10,
    Locked = 11,
    WrongPassword = 12,
    /// <summary>
    /// The host gate runs an allow-list other than the one this job was rendered with: the host files of
    /// this commit are not installed (the summary's <c>installHostFile</c> names the file). Nothing ran on the host.
    /// </summary>
    HostFilesStale = 13,
    Interrupted = 130,
}

/// <summary>A failure with the exit code it maps to and a message fit for the log (never a secret).</summary>
public sealed class RunnerException(RunnerExit exit, string message) : Exception(message)
{
    public RunnerExit Exit { get; } = exit;
}
