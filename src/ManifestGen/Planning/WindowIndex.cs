using System.Collections.Immutable;

namespace ManifestGen.Planning;

/// <summary>
/// The run windows of many jobs, sorted by start, to find which jobs have a window that meets a given one
/// without comparing every pair of jobs (a thousand hosts' forget jobs against ten thousand backups).
/// The planner adds jobs as it places them; the schedule rules build it at once.
/// </summary>
internal sealed class WindowIndex
{
    private readonly List<(long Start, long End, int Job)> _byStart = [];
    private long _longest;
    private int _jobs;

    public WindowIndex()
    {
    }

    public WindowIndex(IReadOnlyList<ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)>> windows, Func<int, bool> include)
    {
        _byStart.AddRange(Enumerable.Range(0, windows.Count).Where(include)
            .SelectMany(j => windows[j].Select(w => (w.Start.UtcTicks, w.End.UtcTicks, j)))
            .OrderBy(w => w.Item1));
        _longest = _byStart.Count == 0 ? 0 : _byStart.Max(w => w.End - w.Start);
        _jobs = windows.Count;
    }

    /// <summary>Adds the windows of one job (numbered by the caller).</summary>
    public void Add(ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)> windows, int job)
    {
        foreach (var (start, end) in windows.Select(w => (w.Start.UtcTicks, w.End.UtcTicks)))
        {
            _byStart.Insert(LowerBound(start + 1), (start, end, job));
            _longest = Math.Max(_longest, end - start);
        }
        _jobs = Math.Max(_jobs, job + 1);
    }

    /// <summary>The jobs (ascending) with a window that meets one of <paramref name="query"/>: each starts before the other ends.</summary>
    public IEnumerable<int> Meeting(ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)> query)
    {
        var met = new bool[_jobs];
        foreach (var i in Overlapping(query))
            met[_byStart[i].Job] = true;
        for (var job = 0; job < met.Length; job++)
            if (met[job])
                yield return job;
    }

    /// <summary>True when any window meets one of <paramref name="query"/> (stops at the first).</summary>
    public bool Meets(ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)> query) => Overlapping(query).Any();

    private IEnumerable<int> Overlapping(ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)> query)
    {
        foreach (var (start, end) in query.Select(q => (q.Start.UtcTicks, q.End.UtcTicks)))
        {
            // A window that ends after `start` began less than the longest window before it.
            for (var i = LowerBound(start - _longest); i < _byStart.Count && _byStart[i].Start < end; i++)
                if (start < _byStart[i].End)
                    yield return i;
        }
    }

    private int LowerBound(long ticks)
    {
        int lo = 0, hi = _byStart.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_byStart[mid].Start < ticks) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
