using System.Collections.Immutable;
using ManifestGen.Runner.Processes;

namespace ManifestGen.Testing;

/// <summary>Short-lived commands for tests: argument lists, a bounded time, and a clear failure.</summary>
public static class Proc
{
    public static Task<ProcessResult> RunAsync(
        string file, IEnumerable<string> args, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string?>? env = null, string? stdin = null, string? workingDirectory = null) =>
        ProcessRunner.RunAsync(new ProcessSpec(file, [.. args])
        {
            WorkingDirectory = workingDirectory,
            Timeout = timeout ?? Patience.Command,
            Environment = env is null ? ImmutableDictionary<string, string?>.Empty : env.ToImmutableDictionary(),
            StandardInput = stdin,
        }, CancellationToken.None);

    /// <summary>Runs and throws with the command's stderr unless it exits 0.</summary>
    public static async Task<string> CheckedAsync(string file, params string[] args)
    {
        var r = await RunAsync(file, args);
        if (!r.Succeeded)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed (exit {r.ExitCode}, timed out {r.TimedOut}): {r.Stderr}");
        return r.Stdout;
    }
}
