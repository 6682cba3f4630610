using System.Collections.Immutable;

namespace ManifestGen.Runner.Processes;

/// <summary>What to start: an executable and an argument list, never a shell string.</summary>
public sealed record ProcessSpec(string FileName, ImmutableArray<string> Arguments)
{
    /// <summary>Variables to set; a null value removes an inherited variable (e.g. RESTIC_PASSWORD).</summary>
    public ImmutableDictionary<string, string?> Environment { get; init; } = ImmutableDictionary<string, string?>.Empty;
    public string? WorkingDirectory { get; init; }
    /// <summary>Hard limit; on expiry the process is interrupted like on cancellation.</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>The setting <see cref="Timeout"/> comes from, so the result can name the bound that fired; null for fixed limits.</summary>
    public Bound? TimeoutBound { get; init; }
    /// <summary>Each interrupts the process when it sees no progress for its bound (a frozen peer, a repository that stopped answering).</summary>
    public ImmutableArray<Watchdog> Watchdogs { get; init; } = [];
    /// <summary>How long an interrupted process may take to clean up (restic removes its lock) before it is killed.</summary>
    public TimeSpan InterruptGrace { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Signal sent first on cancellation: SIGINT makes restic clean up; SIGTERM suits most others.</summary>
    public int InterruptSignal { get; init; } = Signals.SIGINT;
    public Action<string>? OnStdoutLine { get; init; }
    public Action<string>? OnStderrLine { get; init; }
    /// <summary>Keep at most this many characters of each stream (the tail) in the result.</summary>
    public int CaptureLimit { get; init; } = 1 << 20;
    /// <summary>Bytes written to the process's standard input, which is then closed.</summary>
    public string? StandardInput { get; init; }

    public string Display => FileName + " " + string.Join(' ', Arguments);
}

/// <summary>A process that ran to its end or to its timeout (cancellation throws instead).</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Duration, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;
    /// <summary>The named bound that ended the process (its timeout's setting or its stall watchdog), if one did.</summary>
    public Bound? Fired { get; init; }
}
