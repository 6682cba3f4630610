using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using ManifestGen.Contracts;
using ManifestGen.Inventory;
using ManifestGen.Validation.Schedules;

namespace ManifestGen.Planning;

/// <summary>
/// One CronJob the planner renders, with its schedule as written and as rendered, and where the schedule,
/// zone and deadline were written (source-map paths), so findings point at the value.
/// </summary>
/// <param name="Repository">The repository the job locks: null for the one shared repository; a host's name behind the REST server, where every host has its own.</param>
public sealed record ScheduledJob(string Name, JobRole Role, string Description, string Seed, string Schedule, string SchedulePath,
    string TimeZone, string TimeZonePath, int DeadlineSeconds, string DeadlinePath, string? Repository)
{
    /// <summary>forget, prune and check take restic's exclusive lock; backups, drills and copies a shared one.</summary>
    public bool IsExclusive => Role is JobRole.Forget or JobRole.Prune or JobRole.Check or JobRole.CopyCheck;

    /// <summary>
    /// A copy job also locks the copy's repository (<see cref="Names.CopyLock"/>), which its check job
    /// (whose <see cref="Repository"/> that key is) must not meet.
    /// </summary>
    public string? CopyRepository { get; init; }

    /// <summary>
    /// The host whose backups and drills are filed under <see cref="Names.HostReach"/> (a backup's or drill's
    /// own host), or that a coverage job must not meet (its host): null for the repository's jobs.
    /// </summary>
    public string? Host { get; init; }

    /// <summary>
    /// The planner moves H of these: jobs of the exclusive lock, copies (after the night's backups), and
    /// coverage jobs (away from their host's backups, which the discovery would otherwise see mid-run).
    /// </summary>
    public bool IsPlaced => IsExclusive || Role is JobRole.Copy or JobRole.Coverage;

    /// <summary>The schedule as the CronJob gets it (H expanded), or null when it cannot be expanded (<see cref="ExpandError"/>).</summary>
    public string? Expanded { get; init; }

    public string? ExpandError { get; init; }
}

/// <summary>
/// The one list of scheduled jobs: the planner renders its CronJobs from it and the schedule rules
/// (MG0408-MG0413) read it, so a rule never warns about a job that is not rendered, nor computes another
/// time than the CronJob's. A job that takes the exclusive lock and has H in its schedule is placed: of
/// the values H may take, starting at the hashed one, the first whose runs (start to start plus
/// activeDeadlineSeconds, over <see cref="HorizonDays"/> days) meet no backup, drill or earlier exclusive
/// job of the same repository. When no value is free the hashed one stays, and the rules say why.
/// </summary>
public static class JobSchedules
{
    /// <summary>Times are computed from a fixed instant, so placements and messages are the same on every run and machine.</summary>
    public static readonly DateTimeOffset Reference = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
    public const int HorizonDays = 35;
    private const int MaxRuns = 20_000;

    private static readonly ConditionalWeakTable<LoadedInventory, StrongBox<ImmutableArray<ScheduledJob>>> Cache = new();

    /// <summary>The inventory's scheduled jobs in the order the planner lists their objects (computed once per inventory).</summary>
    public static ImmutableArray<ScheduledJob> Of(LoadedInventory loaded) =>
        Cache.GetValue(loaded, l => new StrongBox<ImmutableArray<ScheduledJob>>(Place(Jobs(l)))).Value;

    private static List<ScheduledJob> Jobs(LoadedInventory loaded)
    {
        var model = loaded.Model;
        var map = loaded.SourceMap;
        string? Locks(string host) => model.Repository.Server is null ? null : host;
        var jobs = new List<ScheduledJob>();
        var apps = InventoryResolution.Apps(model).ToList();
        var drill = model.Maintenance.Drill;
        foreach (var app in apps)
        {
            var (host, name) = (app.Host.Name, app.App.Name);
            jobs.Add(new ScheduledJob(Names.Backup(host, name), JobRole.Backup, $"the backup of {host}/{name}", Names.BackupSeed(host, name),
                app.Schedule, app.PathOf("schedule", map), app.TimeZone, app.PathOf("timeZone", map),
                app.ActiveDeadlineSeconds, app.PathOf("activeDeadlineSeconds", map), Locks(host)) { Host = host });
            if (drill.Enabled)
                jobs.Add(Maintenance(model, Names.Drill(host, name), JobRole.Drill, $"the drill of {host}/{name}", Names.DrillSeed(host, name),
                    "maintenance.drill", drill.Schedule, drill.TimeZone, drill.ActiveDeadlineSeconds, Locks(host)) with { Host = host });
        }
        // The jobs MaintenancePlanner.Jobs renders: a forget job per host with apps (behind the REST server
        // it also prunes that host's repository), the repository's prune job only without the server, and
        // the check job (one per host's repository behind the server).
        var repo = model.Repository.Name;
        var forget = model.Maintenance.Forget;
        var hosts = apps.Select(a => a.Host.Name).Distinct(StringComparer.Ordinal).ToList();
        foreach (var host in hosts)
            jobs.Add(Maintenance(model, Names.Maintain(repo, host), JobRole.Forget, $"the forget job of host {host}", Names.MaintenanceSeed(repo, "maintain", host),
                "maintenance.forget", forget.Schedule, forget.TimeZone, forget.ActiveDeadlineSeconds, Locks(host)));
        if (forget.Prune && model.Repository.Server is null)
            jobs.Add(Maintenance(model, Names.Prune(repo), JobRole.Prune, "the prune job", Names.MaintenanceSeed(repo, "prune", null),
                "maintenance.forget", forget.Schedule, forget.TimeZone, forget.ActiveDeadlineSeconds, null));
        var check = model.Maintenance.Check;
        if (check.Enabled)
            foreach (var host in model.Repository.Server is null ? [null] : hosts.Select(h => (string?)h))
                jobs.Add(Maintenance(model, Names.Check(repo, host), JobRole.Check, host is null ? "the check job" : $"the check job of host {host}",
                    Names.MaintenanceSeed(repo, "check", host), "maintenance.check", check.Schedule, check.TimeZone, check.ActiveDeadlineSeconds, host));
        // The offsite copies: a copy job per repository the copy reads (per host behind the REST server),
        // after the maintenance jobs so that it is placed around them too, then each copy's check job.
        for (var c = 0; c < model.Repository.Copies.Length; c++)
        {
            var copy = model.Repository.Copies[c];
            var path = $"repository.copies[{c}]";
            foreach (var host in CopyRepositories(model, hosts))
            {
                var of = host is null ? "" : $" of host {host}";
                jobs.Add(Maintenance(model, Names.Copy(copy.Name, host), JobRole.Copy, $"the copy to {copy.Name}{of}", Names.CopySeed(copy.Name, "copy", host),
                    path, copy.Schedule, copy.TimeZone, copy.ActiveDeadlineSeconds, Locks(host ?? "")) with { CopyRepository = Names.CopyLock(copy.Name, host) });
                if (copy.Check.Enabled)
                    jobs.Add(Maintenance(model, Names.CopyCheck(copy.Name, host), JobRole.CopyCheck, $"the check of copy {copy.Name}{of}", Names.CopySeed(copy.Name, "check", host),
                        path + ".check", copy.Check.Schedule, copy.Check.TimeZone, copy.Check.ActiveDeadlineSeconds, Names.CopyLock(copy.Name, host)));
            }
        }
        // The coverage jobs (CoveragePlanner renders them): one per gated host with coverage and apps. A
        // repository key of its own, since it locks nothing: no repository job counts it as a backup.
        foreach (var (host, h) in CoverageHosts(model).Select(h => (h, model.Hosts.IndexOf(h))))
            jobs.Add(new ScheduledJob(Names.Coverage(host.Name), JobRole.Coverage, $"the coverage job of host {host.Name}", Names.CoverageSeed(host.Name),
                CoverageSchedule, $"hosts[{h}].coverage", model.Defaults.TimeZone, "defaults.timeZone", CoverageDeadlineSeconds(host),
                $"hosts[{h}].coverage", Names.Coverage(host.Name)) { Host = host.Name });
        return jobs;
    }

    /// <summary>Daily, at an hour and minute the planner chooses away from the host's backups.</summary>
    public const string CoverageSchedule = "H H * * *";

    /// <summary>
    /// How long a coverage run may take: the gate's discovery as long as the host's request bound
    /// (<c>requestTimeoutSeconds</c>, 600 s by default), and five minutes for the SSH connection and the report.
    /// </summary>
    public static int CoverageDeadlineSeconds(HostSpec host) => (host.RequestTimeoutSeconds ?? HostConfig.DefaultRequestTimeoutSeconds) + 300;

    /// <summary>
    /// The hosts that get a coverage job: coverage on, a host gate (the discovery is one of its requests) and
    /// at least one app (the backup key, its allow-list and the host's known_hosts come with the apps).
    /// </summary>
    public static IEnumerable<HostSpec> CoverageHosts(InventorySpec model) =>
        model.HostGate is null ? [] : model.Hosts.Where(h => h.Coverage && !h.Apps.IsDefaultOrEmpty);

    /// <summary>The primary repositories a copy reads: the one shared repository, or each host's behind the REST server.</summary>
    public static IEnumerable<string?> CopyRepositories(InventorySpec model, IEnumerable<string> hostsWithApps) =>
        model.Repository.Server is null ? [null] : hostsWithApps.Select(h => (string?)h);

    private static ScheduledJob Maintenance(InventorySpec model, string name, JobRole role, string description, string seed, string path,
        string schedule, string? timeZone, int deadline, string? repository) =>
        new(name, role, description, seed, schedule, path + ".schedule", timeZone ?? model.Defaults.TimeZone,
            timeZone is null ? "defaults.timeZone" : path + ".timeZone", deadline, path + ".activeDeadlineSeconds", repository);

    private static ImmutableArray<ScheduledJob> Place(List<ScheduledJob> jobs)
    {
        var placed = new ScheduledJob[jobs.Count];
        // Shared-lock jobs keep their hashed times; their runs are what the exclusive jobs must avoid.
        var taken = new Dictionary<string, WindowIndex>(StringComparer.Ordinal);
        WindowIndex Taken(string? repository) =>
            taken.TryGetValue(repository ?? "", out var index) ? index : taken[repository ?? ""] = new WindowIndex();
        // When each repository's backups end: a copy goes right after them.
        var backupEnds = new Dictionary<string, List<DateTimeOffset>>(StringComparer.Ordinal);
        for (var j = 0; j < jobs.Count; j++)
        {
            if (jobs[j].IsPlaced)
                continue;
            placed[j] = Expand(jobs[j], 0);
            if (Runs(placed[j]) is { } runs)
            {
                Taken(jobs[j].Repository).Add(runs, j);
                if (jobs[j].Host is { } reached)
                    Taken(Names.HostReach(reached)).Add(runs, j);
                if (jobs[j].Role == JobRole.Backup)
                {
                    var ends = backupEnds.TryGetValue(jobs[j].Repository ?? "", out var list) ? list : backupEnds[jobs[j].Repository ?? ""] = [];
                    ends.AddRange(runs.Select(r => r.End));
                }
            }
        }
        foreach (var ends in backupEnds.Values)
            ends.Sort();
        for (var j = 0; j < jobs.Count; j++)
        {
            if (!jobs[j].IsPlaced)
                continue;
            // A copy avoids the jobs of both repositories it locks.
            // A coverage job avoids only its host's backups and drills (it locks no repository).
            WindowIndex[] indexes = jobs[j] is { Role: JobRole.Coverage, Host: { } covered } ? [Taken(Names.HostReach(covered))]
                : jobs[j].CopyRepository is { } copyLock ? [Taken(jobs[j].Repository), Taken(copyLock)] : [Taken(jobs[j].Repository)];
            bool Meets(ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)> runs) => indexes.Any(i => i.Meets(runs));
            var first = Expand(jobs[j], 0);
            placed[j] = first;
            var firstRuns = Runs(first);
            if (jobs[j].Role == JobRole.Copy && backupEnds.TryGetValue(jobs[j].Repository ?? "", out var backupsEnd))
            {
                // Of the values H may take, the free one whose runs start soonest after the backups before them
                // end (the smallest total wait): the copy then holds last night's snapshots, not the night's before.
                long? best = null;
                for (var shift = 0; shift < Schedules.Candidates(jobs[j].Schedule); shift++)
                {
                    var candidate = Expand(jobs[j], shift);
                    if (Runs(candidate) is not { } runs || Meets(runs) || WaitAfter(runs, backupsEnd) is not { } wait || wait >= best)
                        continue;
                    (best, placed[j], firstRuns) = (wait, candidate, runs);
                    if (wait == 0)
                        break;
                }
            }
            else if (firstRuns is not null && Meets(firstRuns.Value))
            {
                for (var shift = 1; shift < Schedules.Candidates(jobs[j].Schedule); shift++)
                {
                    var candidate = Expand(jobs[j], shift);
                    if (Runs(candidate) is { } runs && !Meets(runs))
                    {
                        (placed[j], firstRuns) = (candidate, runs);
                        break;
                    }
                }
            }
            if (firstRuns is { } kept)
                foreach (var index in indexes)
                    index.Add(kept, j);
        }
        return [.. placed];
    }

    /// <summary>Seconds from the end of the latest backup before each run to the run's start, summed; null when a run has no backup before it.</summary>
    private static long? WaitAfter(ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)> runs, List<DateTimeOffset> sortedEnds)
    {
        long total = 0;
        foreach (var (start, _) in runs)
        {
            var at = sortedEnds.BinarySearch(start);
            var index = at >= 0 ? at : ~at - 1;
            if (index < 0)
                continue;
            total += (long)(start - sortedEnds[index]).TotalSeconds;
        }
        return runs.IsEmpty ? null : total;
    }

    private static ScheduledJob Expand(ScheduledJob job, int shift)
    {
        var expanded = Schedules.Expand(job.Schedule, job.Seed, out var error, shift);
        return job with { Expanded = expanded, ExpandError = error };
    }

    /// <summary>A job's runs over the horizon, or null when its schedule or zone is not valid (the rules report it).</summary>
    private static ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)>? Runs(ScheduledJob job)
    {
        if (job.Expanded is null || !TimeZones.IsValid(job.TimeZone) || CronExpression.Parse(job.Expanded).Schedule is not { } schedule)
            return null;
        return Windows(schedule, TimeZones.Resolve(job.TimeZone), job.DeadlineSeconds);
    }

    /// <summary>The runs of a schedule over the horizon: each from its start to start plus the deadline.</summary>
    public static ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)> Windows(CronSchedule schedule, TimeZoneInfo zone, int deadlineSeconds) =>
        [.. schedule.Occurrences(Reference, zone, MaxRuns, Reference.AddDays(HorizonDays)).Select(start => (start, start.AddSeconds(deadlineSeconds)))];
}
