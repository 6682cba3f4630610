using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;

namespace ManifestGen.Runner.Processes;

/// <summary>
/// A bound on a wait, named by the job configuration's setting that sets it, so a failure says which bound
/// fired and where to change it ("app.transferTimeoutSeconds = 20").
/// </summary>
public sealed record Bound(string Setting, int Seconds)
{
    public TimeSpan Span => TimeSpan.FromSeconds(Seconds);

    public override string ToString() => $"{Setting} = {Seconds.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Fires when a child makes no progress for its bound: the child is then interrupted like on a timeout
/// (<see cref="ProcessResult.Fired"/> names the bound). Progress is a change of what <c>probe</c> reads
/// from the running process tree, or a call of <see cref="Progress"/> from an output handler; a handler
/// that sees the child report the stall itself calls <see cref="Fire"/>. A probe that can read nothing
/// (null) counts as progress: a watchdog that cannot see must not end healthy work.
/// </summary>
public sealed class Watchdog(Bound bound, Func<int, long?>? probe = null)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastProgressTicks;
    private volatile bool _fired;

    public Bound Bound => bound;

    /// <summary>The child showed progress (an output line that means work was done).</summary>
    public void Progress() => Interlocked.Exchange(ref _lastProgressTicks, _clock.Elapsed.Ticks);

    /// <summary>The child reported that the bound passed without progress (e.g. restic's stuck request).</summary>
    public void Fire() => _fired = true;

    /// <summary>Runs until the process exits (<paramref name="stop"/>) or the bound passes; then cancels <paramref name="fire"/>.</summary>
    internal async Task WatchAsync(int pid, CancellationTokenSource fire, CancellationToken stop)
    {
        Progress();
        long? last = null;
        // Fine enough to fire within a few percent of the bound, coarse enough to cost nothing.
        var poll = TimeSpan.FromMilliseconds(Math.Clamp(bound.Span.TotalMilliseconds / 20, 100, 1000));
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(poll, stop);
                var now = probe?.Invoke(pid);
                if (probe is not null && (now is null || now != last))
                {
                    last = now;
                    Progress();
                }
                var idle = _clock.Elapsed - TimeSpan.FromTicks(Interlocked.Read(ref _lastProgressTicks));
                if (_fired || idle >= bound.Span)
                {
                    _fired = true;
                    await fire.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The process ended first.
        }
    }

    public bool HasFired => _fired;
}

/// <summary>What a watchdog can read about a running process tree, from /proc (the runner's own children only).</summary>
public static class ProcessTree
{
    /// <summary>
    /// Bytes rsync's receiver has read (<c>rchar</c> of <c>/proc/PID/io</c>), or null when it does not run yet
    /// or cannot be read. On a pull the receiver (the child rsync forks) reads only what the host's sender
    /// sent, and the local files that data refers to; a frozen sender leaves the number still. Neither
    /// the generator's keep-alives towards the sender nor ssh's own keep-alives are read by it.
    /// </summary>
    public static long? RsyncReceiverBytesRead(int rootPid) =>
        Sum(Descendants(rootPid).Where(pid => pid != rootPid && Read($"/proc/{pid}/comm")?.Trim() == "rsync"));

    /// <summary>
    /// Bytes one process has read (<c>rchar</c>): for restic reading a stream from ssh, what arrived from the
    /// host (and the repository's answers), which stops when the host's end freezes.
    /// </summary>
    public static long? BytesRead(int pid) => Sum([pid]);

    private static long? Sum(IEnumerable<int> pids)
    {
        long total = 0;
        var found = false;
        foreach (var pid in pids)
        {
            if (Read($"/proc/{pid}/io") is not { } io) continue;
            foreach (var line in io.Split('\n'))
                if (line.StartsWith("rchar:", StringComparison.Ordinal) &&
                    long.TryParse(line.AsSpan(6).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
                {
                    total += bytes;
                    found = true;
                }
        }
        return found ? total : null;
    }

    /// <summary>
    /// The descendants of <paramref name="rootPid"/> (not itself) as they are now, each with its start time
    /// (field 22 of /proc/PID/stat), so that <see cref="KillSurvivors"/> never hits a pid reused since.
    /// </summary>
    public static ImmutableArray<(int Pid, string Start)> Snapshot(int rootPid)
    {
        var tree = ImmutableArray.CreateBuilder<(int Pid, string Start)>();
        foreach (var pid in Descendants(rootPid))
            if (pid != rootPid && StartTime(pid) is { } start) tree.Add((pid, start));
        return tree.ToImmutable();
    }

    /// <summary>
    /// SIGKILLs what is left of a <see cref="Snapshot"/>: a child that ends on its interrupt (a shell, a
    /// CLI driver) leaves its own children to init, where a kill of its tree no longer finds them, and a
    /// bound that fired must not leave work running.
    /// </summary>
    public static int KillSurvivors(ImmutableArray<(int Pid, string Start)> snapshot)
    {
        var killed = 0;
        foreach (var (pid, start) in snapshot)
            if (StartTime(pid) == start && Signals.Send(pid, Signals.SIGKILL)) killed++;
        return killed;
    }

    private static string? StartTime(int pid)
    {
        var stat = Read($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
        var close = stat?.LastIndexOf(')') ?? -1;
        if (close < 0) return null;
        var fields = stat![(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 ? fields[19] : null;
    }

    /// <summary>The process and its descendants (bounded: a tree of the runner's children is small).</summary>
    public static IEnumerable<int> Descendants(int rootPid)
    {
        var queue = new Queue<int>([rootPid]);
        var seen = new HashSet<int>();
        while (queue.Count > 0 && seen.Count < 1000)
        {
            var pid = queue.Dequeue();
            if (!seen.Add(pid)) continue;
            yield return pid;
            var tasks = $"/proc/{pid}/task";
            string[] threads;
            try
            {
                threads = Directory.GetDirectories(tasks);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var thread in threads)
                foreach (var child in (Read(Path.Combine(thread, "children")) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (int.TryParse(child, NumberStyles.None, CultureInfo.InvariantCulture, out var c)) queue.Enqueue(c);
        }
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
