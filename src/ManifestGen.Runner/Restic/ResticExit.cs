using System.Globalization;

namespace ManifestGen.Runner.Restic;

public enum ResticOutcome { Ok, Partial, RepositoryMissing, Locked, WrongPassword, Interrupted, Failed }

/// <summary>restic's documented exit codes (0.17+); anything unknown is a failure, never success.</summary>
public static class ResticExit
{
    public static ResticOutcome Classify(int exitCode) => exitCode switch
    {
        0 => ResticOutcome.Ok,
        3 => ResticOutcome.Partial,
        10 => ResticOutcome.RepositoryMissing,
        11 => ResticOutcome.Locked,
        12 => ResticOutcome.WrongPassword,
        130 => ResticOutcome.Interrupted,
        _ => ResticOutcome.Failed,
    };

    /// <summary>The runner exit code for a restic outcome; Partial is decided by the caller's policy.</summary>
    public static RunnerExit ToRunnerExit(ResticOutcome outcome, bool partialIsFailure) => outcome switch
    {
        ResticOutcome.Ok => RunnerExit.Ok,
        ResticOutcome.Partial => partialIsFailure ? RunnerExit.Partial : RunnerExit.Ok,
        ResticOutcome.RepositoryMissing => RunnerExit.RepositoryMissing,
        ResticOutcome.Locked => RunnerExit.Locked,
        ResticOutcome.WrongPassword => RunnerExit.WrongPassword,
        ResticOutcome.Interrupted => RunnerExit.Interrupted,
        _ => RunnerExit.Failure,
    };

    public static string Describe(ResticOutcome outcome, int exitCode) => outcome switch
    {
        ResticOutcome.Partial => "restic saved a snapshot but some files could not be read (exit 3)",
        ResticOutcome.RepositoryMissing => "restic repository does not exist (exit 10); run `manifestgen-runner init`",
        ResticOutcome.Locked => "restic repository is locked by another process (exit 11) and the lock wait ran out",
        ResticOutcome.WrongPassword => "restic repository password is wrong (exit 12)",
        ResticOutcome.Interrupted => "restic was interrupted (exit 130)",
        ResticOutcome.Ok => "ok",
        _ => $"restic failed (exit {exitCode.ToString(CultureInfo.InvariantCulture)})",
    };
}
