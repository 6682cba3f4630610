using System.Collections.Immutable;
using System.Globalization;
using FluentValidation;
using FluentValidation.Results;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Planning;
using ManifestGen.Validation.Schedules;

namespace ManifestGen.Validation.Rules;

/// <summary>One scheduled job of the inventory, with where its schedule, zone and deadline were written.</summary>
internal sealed record ScheduledJob(string Description, string Seed, string Schedule, string SchedulePath, string TimeZone, string TimeZonePath, int DeadlineSeconds, string DeadlinePath, bool IsMaintenance);

/// <summary>
/// MG0401-MG0410: every schedule in the CronJob dialect, IANA zones, steps, runs that never come,
/// deadlines that reach the next run, and maintenance windows that meet a backup (with computed times).
/// </summary>
public sealed class ScheduleRule : InventoryRule
{
    private static readonly ScheduleValidator Validator = new();

    /// <summary>Times are computed from a fixed instant, so messages are the same on every run and machine.</summary>
    internal static readonly DateTimeOffset Reference = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
    private const int OverlapDays = 35;

    protected override void Run(LoadedInventory inventory, RuleSink sink) => sink.Validate(Validator, inventory, "");

    /// <summary>Every finding over the inventory's scheduled jobs, in the order they are reported.</summary>
    internal static List<ValidationFailure> Findings(LoadedInventory inventory)
    {
        var sink = new List<ValidationFailure>();
        var reportedZones = new HashSet<string>(StringComparer.Ordinal);
        var parsed = new List<(ScheduledJob Job, CronSchedule Schedule, TimeZoneInfo Zone)>();
        foreach (var job in Jobs(inventory))
        {
            var zoneOk = CheckZone(sink, reportedZones, job);
            // H is expanded exactly as the planner renders it; a TZ= prefix is left for the parser to name.
            string? expandError = null;
            var expanded = job.Schedule.Contains('H', StringComparison.Ordinal) && !job.Schedule.Contains("TZ=", StringComparison.Ordinal)
                ? Planning.Schedules.Expand(job.Schedule, job.Seed, out expandError)
                : job.Schedule;
            if (expanded is null)
            {
                sink.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.CronInvalid, job.SchedulePath, $"`{job.Schedule}`: {expandError}"));
                continue;
            }
            var result = CronExpression.Parse(expanded);
            foreach (var warning in result.Warnings)
                sink.Add(ValidatorAdapter.Failure(warning.Rule, job.SchedulePath, warning.Message, fragment: FieldAt(job.Schedule, warning.Offset)));
            if (result.Schedule is not { } schedule)
            {
                var error = result.Error!;
                var message = error.Message.Contains(job.Schedule, StringComparison.Ordinal) ? error.Message : $"`{job.Schedule}`: {error.Message}";
                sink.Add(ValidatorAdapter.Failure(error.Rule, job.SchedulePath, message, fragment: FieldAt(job.Schedule, error.Offset)));
                continue;
            }
            var zone = zoneOk ? TimeZones.Resolve(job.TimeZone) : TimeZoneInfo.Utc;
            if (schedule.Next(Reference, zone) is null)
            {
                sink.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.ScheduleNeverRuns, job.SchedulePath, $"`{job.Schedule}` matches no time in five years"));
                continue;
            }
            if (schedule.ShortestInterval(Reference, zone) is { } interval && job.DeadlineSeconds >= interval.TotalSeconds)
                sink.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.DeadlineExceedsInterval, job.DeadlinePath,
                    $"{job.Description} may run {Duration(TimeSpan.FromSeconds(job.DeadlineSeconds))}, but `{job.Schedule}` starts it every {Duration(interval)} at the shortest"));
            parsed.Add((job, schedule, zone));
        }
        ReportOverlaps(sink, parsed);
        ReportMaintenanceMeetings(sink, parsed, inventory.Model.Repository.RetryLockSeconds);
        return sink;
    }

    internal static IEnumerable<ScheduledJob> Jobs(LoadedInventory inventory)
    {
        var model = inventory.Model;
        var map = inventory.SourceMap;
        foreach (var app in InventoryResolution.Apps(model))
            yield return new ScheduledJob($"the backup of {app.Host.Name}/{app.App.Name}", Names.BackupSeed(app.Host.Name, app.App.Name),
                app.Schedule, app.PathOf("schedule", map), app.TimeZone, app.PathOf("timeZone", map),
                app.ActiveDeadlineSeconds, app.PathOf("activeDeadlineSeconds", map), false);
        var forget = model.Maintenance.Forget;
        var repo = model.Repository.Name;
        // The seeds are the planner's (Names): one forget job per host with apps, then the repository's prune job.
        var forgetJobs = model.Hosts.Where(h => !h.Apps.IsEmpty).Select(h => (Title: $"the forget job of host {h.Name}", Seed: Names.MaintenanceSeed(repo, "maintain", h.Name)));
        if (forget.Prune)
            forgetJobs = forgetJobs.Append(("prune", Names.MaintenanceSeed(repo, "prune", null)));
        foreach (var (title, seed) in forgetJobs)
            yield return new ScheduledJob(title, seed,
                forget.Schedule, "maintenance.forget.schedule", forget.TimeZone ?? model.Defaults.TimeZone,
                forget.TimeZone is null ? "defaults.timeZone" : "maintenance.forget.timeZone",
                forget.ActiveDeadlineSeconds, "maintenance.forget.activeDeadlineSeconds", true);
        var drill = model.Maintenance.Drill;
        if (drill.Enabled)
            foreach (var app in InventoryResolution.Apps(model))
                yield return new ScheduledJob($"the drill of {app.Host.Name}/{app.App.Name}", $"{app.Host.Name}/{app.App.Name}/drill",
                    drill.Schedule, "maintenance.drill.schedule", drill.TimeZone ?? model.Defaults.TimeZone,
                    drill.TimeZone is null ? "defaults.timeZone" : "maintenance.drill.timeZone",
                    drill.ActiveDeadlineSeconds, "maintenance.drill.activeDeadlineSeconds", false);
        var check = model.Maintenance.Check;
        if (check.Enabled)
            yield return new ScheduledJob("check", Names.MaintenanceSeed(repo, "check", null),
                check.Schedule, "maintenance.check.schedule", check.TimeZone ?? model.Defaults.TimeZone,
                check.TimeZone is null ? "defaults.timeZone" : "maintenance.check.timeZone",
                check.ActiveDeadlineSeconds, "maintenance.check.activeDeadlineSeconds", true);
    }

    private static bool CheckZone(List<ValidationFailure> sink, HashSet<string> reportedZones, ScheduledJob job)
    {
        if (TimeZones.IsValid(job.TimeZone))
            return true;
        // The same default zone serves many jobs: report it once per place it is written.
        if (!reportedZones.Add(job.TimeZonePath))
            return false;
        var suggestion = TimeZones.Suggest(job.TimeZone);
        sink.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.TimeZoneUnknown, job.TimeZonePath, $"`{Primitives.LookAlikeText.Visible(job.TimeZone)}` is not an IANA time zone name",
            suggestion is null ? null : $"did you mean `{suggestion}`?"));
        return false;
    }

    private static void ReportOverlaps(List<ValidationFailure> sink, List<(ScheduledJob Job, CronSchedule Schedule, TimeZoneInfo Zone)> jobs)
    {
        // Keyed by position: two jobs may be equal records (an app defined twice is reported elsewhere).
        var windows = Windows(jobs);
        var backups = new WindowIndex(windows, b => !jobs[b].Job.IsMaintenance);
        // One finding per maintenance job, computed side by side and reported in the jobs' order.
        var findings = PerCore.Map(jobs.Count, m =>
        {
            var maintenance = jobs[m];
            if (!maintenance.Job.IsMaintenance)
                return null;
            var (count, earliest) = Earliest(backups.Meeting(windows[m]), b => FirstOverlap(windows[m], windows[b]));
            if (count == 0)
                return null;
            var (backup, overlap) = (jobs[earliest[0].Index], earliest[0].Overlap);
            var others = count == 1 ? "" : $" ({count - 1} more backup{(count == 2 ? "" : "s")} also overlap: {Some(earliest.Skip(1).Select(o => jobs[o.Index].Job.Seed), count - 1)})";
            return ValidatorAdapter.Failure(DiagnosticCatalogue.MaintenanceOverlapsBackup, maintenance.Job.SchedulePath,
                $"{maintenance.Job.Description} (exclusive lock) runs {Time(overlap.M.Start, maintenance.Zone)} to {Time(overlap.M.End, maintenance.Zone)}; " +
                $"{backup.Job.Description} runs {Time(overlap.B.Start, backup.Zone)} to {Time(overlap.B.End, backup.Zone)}{others}",
                "move one of the schedules, or shorten activeDeadlineSeconds so the windows do not meet");
        });
        sink.AddRange(findings.OfType<ValidationFailure>());
    }

    private static List<ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)>> Windows(List<(ScheduledJob Job, CronSchedule Schedule, TimeZoneInfo Zone)> jobs)
    {
        var until = Reference.AddDays(OverlapDays);
        return [.. PerCore.Map(jobs.Count, j => jobs[j].Schedule.Occurrences(Reference, jobs[j].Zone, 20_000, until)
            .Select(start => (Start: start, End: start.AddSeconds(jobs[j].Job.DeadlineSeconds))).ToImmutableArray())];
    }

    /// <summary>
    /// MG0413: two jobs that take the exclusive lock (each host's forget, prune, check) whose windows
    /// (start to start plus activeDeadlineSeconds) meet; the later-listed one is reported, with the first meeting.
    /// </summary>
    private static void ReportMaintenanceMeetings(List<ValidationFailure> sink, List<(ScheduledJob Job, CronSchedule Schedule, TimeZoneInfo Zone)> jobs, int retryLockSeconds)
    {
        var exclusive = jobs.Where(j => j.Job.IsMaintenance).ToList();
        var windows = Windows(exclusive);
        var index = new WindowIndex(windows, _ => true);
        for (int later = 1; later < exclusive.Count; later++)
        {
            // Jobs with the same seed come from a host named twice, which MG0305 reports.
            var (count, earliest) = Earliest(index.Meeting(windows[later]).TakeWhile(earlier => earlier < later)
                .Where(earlier => exclusive[earlier].Job.Seed != exclusive[later].Job.Seed), earlier => FirstOverlap(windows[earlier], windows[later]));
            if (count == 0)
                continue;
            var (job, zone) = (exclusive[later].Job, exclusive[later].Zone);
            var (other, overlap) = (exclusive[earliest[0].Index], earliest[0].Overlap);
            var (first, second) = overlap.M.Start <= overlap.B.Start ? ((other.Job, overlap.M, other.Zone), (job, overlap.B, zone)) : ((job, overlap.B, zone), (other.Job, overlap.M, other.Zone));
            var more = count == 1 ? "" : $" ({count - 1} more maintenance job{(count == 2 ? " also meets" : "s also meet")} it: {Some(earliest.Skip(1).Select(m => Title(exclusive[m.Index].Job)), count - 1)})";
            sink.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.MaintenanceOverlapsMaintenance, job.SchedulePath,
                $"{Title(job)} and {Title(other.Job)} both take the exclusive lock: {Title(first.Item1)} may run {Time(first.Item2.Start, first.Item3)} to {Time(first.Item2.End, first.Item3)}, " +
                $"{Title(second.Item1)} starts {Time(second.Item2.Start, second.Item3)}, waits {retryLockSeconds.ToString(CultureInfo.InvariantCulture)} s (repository.retryLockSeconds) for the lock and fails{more}"));
        }
    }

    /// <summary>Names shown in a message: a message stays one readable line when a window meets hundreds of jobs.</summary>
    private const int Shown = 10;

    /// <summary>The names shown (at most <see cref="Shown"/>) and how many of <paramref name="total"/> are not.</summary>
    private static string Some(IEnumerable<string> shown, int total)
    {
        var list = shown.ToList();
        return list.Count == total ? string.Join(", ", list)
            : $"{string.Join(", ", list)} and {(total - list.Count).ToString(CultureInfo.InvariantCulture)} more";
    }

    /// <summary>
    /// How many candidates (ascending) meet, and the first <see cref="Shown"/> + 1 of them by the start of
    /// their first meeting (ties in the candidates' order): what a message names, without sorting every one.
    /// </summary>
    private static (int Count, List<(int Index, ((DateTimeOffset Start, DateTimeOffset End) M, (DateTimeOffset Start, DateTimeOffset End) B) Overlap)> First) Earliest(
        IEnumerable<int> candidates, Func<int, ((DateTimeOffset Start, DateTimeOffset End) M, (DateTimeOffset Start, DateTimeOffset End) B)?> overlapOf)
    {
        const int Keep = Shown + 1;
        var first = new List<(int, ((DateTimeOffset, DateTimeOffset), (DateTimeOffset, DateTimeOffset)))>(Keep + 1);
        var count = 0;
        foreach (var candidate in candidates)
        {
            if (overlapOf(candidate) is not { } overlap)
                continue;
            count++;
            var start = overlap.B.Start.UtcTicks;
            if (first.Count == Keep && start >= first[^1].Item2.Item2.Item1.UtcTicks)
                continue;
            var at = first.Count;
            while (at > 0 && first[at - 1].Item2.Item2.Item1.UtcTicks > start)
                at--;
            first.Insert(at, (candidate, overlap));
            if (first.Count > Keep)
                first.RemoveAt(Keep);
        }
        return (count, first);
    }

    // The repository's own jobs are called "prune" and "check" in the older messages; here they read as jobs.
    private static string Title(ScheduledJob job) => job.Description is "prune" or "check" ? $"the {job.Description} job" : job.Description;

    private static ((DateTimeOffset Start, DateTimeOffset End) M, (DateTimeOffset Start, DateTimeOffset End) B)? FirstOverlap(
        ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)> maintenance, ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)> backups)
    {
        int i = 0, j = 0;
        while (i < maintenance.Length && j < backups.Length)
        {
            var (m, b) = (maintenance[i], backups[j]);
            if (m.Start < b.End && b.Start < m.End)
                return (m, b);
            if (m.End <= b.End) i++; else j++;
        }
        return null;
    }

    private static string Time(DateTimeOffset at, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(at, zone).ToString("ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " " + zone.Id;

    internal static string Duration(TimeSpan span)
    {
        var inv = CultureInfo.InvariantCulture;
        var hours = (long)span.TotalHours;
        if (hours >= 1)
            return span.Minutes == 0 ? string.Create(inv, $"{hours}h") : string.Create(inv, $"{hours}h{span.Minutes:00}m");
        return string.Create(inv, $"{(long)span.TotalMinutes}m");
    }

    private static string FieldAt(string schedule, int offset)
    {
        if (offset <= 0 || offset >= schedule.Length)
            return schedule;
        var end = schedule.IndexOf(' ', offset);
        return schedule[offset..(end < 0 ? schedule.Length : end)];
    }
}

/// <summary>
/// The run windows of many jobs, sorted by start, to find which jobs have a window that meets a given one
/// without comparing every pair of jobs (a thousand hosts' forget jobs against ten thousand backups).
/// </summary>
internal sealed class WindowIndex
{
    private readonly (long Start, long End, int Job)[] _byStart;
    private readonly long _longest;
    private readonly int _jobs;

    public WindowIndex(IReadOnlyList<ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)>> windows, Func<int, bool> include)
    {
        _byStart = [.. Enumerable.Range(0, windows.Count).Where(include)
            .SelectMany(j => windows[j].Select(w => (w.Start.UtcTicks, w.End.UtcTicks, j)))
            .OrderBy(w => w.Item1)];
        _longest = _byStart.Length == 0 ? 0 : _byStart.Max(w => w.End - w.Start);
        _jobs = windows.Count;
    }

    /// <summary>The jobs (ascending) with a window that meets one of <paramref name="query"/>: each starts before the other ends.</summary>
    public IEnumerable<int> Meeting(ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)> query)
    {
        var met = new bool[_jobs];
        foreach (var (start, end) in query.Select(q => (q.Start.UtcTicks, q.End.UtcTicks)))
        {
            // A window that ends after `start` began less than the longest window before it.
            var from = LowerBound(start - _longest);
            for (var i = from; i < _byStart.Length && _byStart[i].Start < end; i++)
                if (start < _byStart[i].End)
                    met[_byStart[i].Job] = true;
        }
        for (var job = 0; job < met.Length; job++)
            if (met[job])
                yield return job;
    }

    private int LowerBound(long ticks)
    {
        int lo = 0, hi = _byStart.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_byStart[mid].Start < ticks) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}

/// <summary>
/// The schedule findings as a FluentValidation validator over the loaded inventory: the jobs' paths come
/// from the source map (an app's schedule may be written in its host, its app or the defaults).
/// </summary>
internal sealed class ScheduleValidator : AbstractValidator<LoadedInventory>
{
    public ScheduleValidator() =>
        RuleFor(i => i).Custom((inventory, context) =>
        {
            foreach (var failure in ScheduleRule.Findings(inventory))
                context.AddFailure(failure);
        });
}
