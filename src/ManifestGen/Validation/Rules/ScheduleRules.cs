using System.Collections.Immutable;
using System.Globalization;
using FluentValidation;
using FluentValidation.Results;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Planning;
using ManifestGen.Validation.Schedules;

namespace ManifestGen.Validation.Rules;

/// <summary>
/// MG0401-MG0410: every schedule in the CronJob dialect, IANA zones, steps, runs that never come,
/// deadlines that reach the next run, and maintenance windows that meet a backup (with computed times).
/// The jobs, their rendered schedules and the repository each locks are the planner's (<see cref="JobSchedules"/>).
/// </summary>
public sealed class ScheduleRule : InventoryRule
{
    private static readonly ScheduleValidator Validator = new();

    private static DateTimeOffset Reference => JobSchedules.Reference;

    protected override void Run(LoadedInventory inventory, RuleSink sink) => sink.Validate(Validator, inventory, "");

    /// <summary>Every finding over the inventory's scheduled jobs, in the order they are reported.</summary>
    internal static List<ValidationFailure> Findings(LoadedInventory inventory)
    {
        var sink = new List<ValidationFailure>();
        var reportedZones = new HashSet<string>(StringComparer.Ordinal);
        var parsed = new List<(ScheduledJob Job, CronSchedule Schedule, TimeZoneInfo Zone)>();
        foreach (var job in JobSchedules.Of(inventory))
        {
            var zoneOk = CheckZone(sink, reportedZones, job);
            // H is expanded (and placed) by the planner; a TZ= prefix is left for the parser to name.
            if (job.Expanded is null && job.Schedule.Contains('H', StringComparison.Ordinal) && !job.Schedule.Contains("TZ=", StringComparison.Ordinal))
            {
                sink.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.CronInvalid, job.SchedulePath, $"`{job.Schedule}`: {job.ExpandError}"));
                continue;
            }
            var expanded = job.Expanded ?? job.Schedule;
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
        ReportCoverageMeetings(sink, parsed);
        return sink;
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
        // A copy's meetings are MG1105's (CopyRule), which names them as a copy's.
        // A coverage job takes no lock of the repository: the exclusive jobs may meet it.
        var backups = new WindowIndex(windows, b => !jobs[b].Job.IsExclusive && jobs[b].Job.Role is not (JobRole.Copy or JobRole.Coverage));
        // One finding per maintenance job, computed side by side and reported in the jobs' order.
        var findings = PerCore.Map(jobs.Count, m =>
        {
            var maintenance = jobs[m];
            if (!maintenance.Job.IsExclusive || maintenance.Job.Role == JobRole.CopyCheck)
                return null;
            // Behind the REST server a host's maintenance locks only that host's repository.
            var (count, earliest) = Earliest(backups.Meeting(windows[m]).Where(b => jobs[b].Job.Repository == maintenance.Job.Repository),
                b => FirstOverlap(windows[m], windows[b]));
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

    private static List<ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)>> Windows(List<(ScheduledJob Job, CronSchedule Schedule, TimeZoneInfo Zone)> jobs) =>
        [.. PerCore.Map(jobs.Count, j => JobSchedules.Windows(jobs[j].Schedule, jobs[j].Zone, jobs[j].Job.DeadlineSeconds))];

    /// <summary>
    /// MG1152: a coverage job that, after placement, still meets a backup or drill of its host (the planner
    /// found no free value of its H); the first meeting is reported.
    /// </summary>
    private static void ReportCoverageMeetings(List<ValidationFailure> sink, List<(ScheduledJob Job, CronSchedule Schedule, TimeZoneInfo Zone)> jobs)
    {
        var windows = Windows(jobs);
        var hostJobs = new WindowIndex(windows, j => jobs[j].Job.Role is JobRole.Backup or JobRole.Drill);
        for (var c = 0; c < jobs.Count; c++)
        {
            if (jobs[c].Job is not { Role: JobRole.Coverage, Host: { } host } coverage)
                continue;
            var (count, earliest) = Earliest(hostJobs.Meeting(windows[c]).Where(b => jobs[b].Job.Host == host), b => FirstOverlap(windows[c], windows[b]));
            if (count == 0)
                continue;
            var (other, overlap) = (jobs[earliest[0].Index], earliest[0].Overlap);
            sink.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.CoverageMeetsBackup, coverage.SchedulePath,
                $"{coverage.Description} runs {Time(overlap.M.Start, jobs[c].Zone)} to {Time(overlap.M.End, jobs[c].Zone)}; " +
                $"{other.Job.Description} runs {Time(overlap.B.Start, other.Zone)} to {Time(overlap.B.End, other.Zone)}" +
                (count == 1 ? "" : $" ({count - 1} more of the host's jobs also meet it)") + ": no minute of the day was free of them"));
        }
    }

    /// <summary>
    /// MG0413: two jobs that take the exclusive lock (each host's forget, prune, check) whose windows
    /// (start to start plus activeDeadlineSeconds) meet; the later-listed one is reported, with the first meeting.
    /// </summary>
    private static void ReportMaintenanceMeetings(List<ValidationFailure> sink, List<(ScheduledJob Job, CronSchedule Schedule, TimeZoneInfo Zone)> jobs, int retryLockSeconds)
    {
        var exclusive = jobs.Where(j => j.Job.IsExclusive).ToList();
        var windows = Windows(exclusive);
        var index = new WindowIndex(windows, _ => true);
        for (int later = 1; later < exclusive.Count; later++)
        {
            // Jobs with the same seed come from a host named twice, which MG0305 reports.
            var (count, earliest) = Earliest(index.Meeting(windows[later]).TakeWhile(earlier => earlier < later)
                .Where(earlier => exclusive[earlier].Job.Seed != exclusive[later].Job.Seed && exclusive[earlier].Job.Repository == exclusive[later].Job.Repository),
                earlier => FirstOverlap(windows[earlier], windows[later]));
            if (count == 0)
                continue;
            var (job, zone) = (exclusive[later].Job, exclusive[later].Zone);
            var (other, overlap) = (exclusive[earliest[0].Index], earliest[0].Overlap);
            var (first, second) = overlap.M.Start <= overlap.B.Start ? ((other.Job, overlap.M, other.Zone), (job, overlap.B, zone)) : ((job, overlap.B, zone), (other.Job, overlap.M, other.Zone));
            var more = count == 1 ? "" : $" ({count - 1} more maintenance job{(count == 2 ? " also meets" : "s also meet")} it: {Some(earliest.Skip(1).Select(m => exclusive[m.Index].Job.Description), count - 1)})";
            sink.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.MaintenanceOverlapsMaintenance, job.SchedulePath,
                $"{job.Description} and {other.Job.Description} both take the exclusive lock: {first.Item1.Description} may run {Time(first.Item2.Start, first.Item3)} to {Time(first.Item2.End, first.Item3)}, " +
                $"{second.Item1.Description} starts {Time(second.Item2.Start, second.Item3)}, waits {retryLockSeconds.ToString(CultureInfo.InvariantCulture)} s (repository.retryLockSeconds) for the lock and fails{more}"));
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


    internal static ((DateTimeOffset Start, DateTimeOffset End) M, (DateTimeOffset Start, DateTimeOffset End) B)? FirstOverlap(
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

    internal static string Time(DateTimeOffset at, TimeZoneInfo zone) =>
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
