namespace ManifestGen;

/// <summary>
/// The one way the generator works side by side: one worker per core (more threads only add context
/// switches and lock contention), each result in its own slot, so the outcome is the same as one by one
/// in index order whatever the scheduling.
/// </summary>
internal static class PerCore
{
    public static readonly ParallelOptions Options = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary><paramref name="work"/> of every index from 0 to <paramref name="count"/> - 1, side by side, in index order.</summary>
    public static T[] Map<T>(int count, Func<int, T> work)
    {
        var results = new T[count];
        Parallel.For(0, count, Options, i => results[i] = work(i));
        return results;
    }
}
