using System.Collections.Immutable;
using ManifestGen.Planning;

namespace ManifestGen.Tests.Validation;

public sealed class WindowIndexTests
{
    [Fact]
    public void Should_find_exactly_the_jobs_a_comparison_of_every_pair_of_windows_finds()
    {
        var random = new Random(20261201);
        var origin = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
        for (var round = 0; round < 50; round++)
        {
            // Jobs of different window lengths (zero included), some with overlapping runs of their own.
            var windows = Enumerable.Range(0, random.Next(1, 40)).Select(_ =>
            {
                var length = TimeSpan.FromMinutes(random.Next(0, 4) == 0 ? 0 : random.Next(1, 600));
                return Enumerable.Range(0, random.Next(0, 12))
                    .Select(_ => origin.AddMinutes(random.Next(0, 20_000)))
                    .Order()
                    .Select(start => (Start: start, End: start + length))
                    .ToImmutableArray();
            }).ToList();
            var included = windows.Select(_ => random.Next(3) > 0).ToArray();
            var index = new WindowIndex(windows, j => included[j]);
            // The planner's index grows job by job, in any order.
            var grown = new WindowIndex();
            foreach (var j in Enumerable.Range(0, windows.Count).Where(j => included[j]).OrderBy(_ => random.Next()))
                grown.Add(windows[j], j);
            foreach (var query in windows)
            {
                var expected = Enumerable.Range(0, windows.Count)
                    .Where(j => included[j] && windows[j].Any(w => query.Any(q => q.Start < w.End && w.Start < q.End))).ToList();
                Assert.Equal(expected, index.Meeting(query));
                Assert.Equal(expected, grown.Meeting(query).Where(j => j < windows.Count));
                Assert.Equal(expected.Count > 0, grown.Meets(query));
            }
        }
    }
}
