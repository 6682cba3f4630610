using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Planning;
using ManifestGen.Validation.Primitives;
using ManifestGen.Validation.Schedules;

namespace ManifestGen.Validation.Rules;

/// <summary>
/// MG1101-MG1109: the offsite copies (<c>repository.copies</c>): unique names, credentials of their own,
/// a location restic can use and the NetworkPolicy can allow, a retention that keeps at least the
/// primary's, and schedules the planner could place away from the primary's backups and maintenance.
/// The jobs and their rendered schedules are the planner's (<see cref="JobSchedules"/>), as for MG0409.
/// </summary>
public sealed partial class CopyRule : InventoryRule
{
    /// <summary>The largest N of --read-data-subset n/N the check accepts: a pack per run is as fine as it gets.</summary>
    public const int MaxSubsets = 1000;

    private static readonly RetentionPolicyValidator Policy = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var model = inventory.Model;
        var repo = model.Repository;
        if (repo.Copies.IsEmpty)
            return;
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var primarySecrets = PrimarySecrets(model);
        for (var c = 0; c < repo.Copies.Length; c++)
        {
            var copy = repo.Copies[c];
            var path = $"repository.copies[{c}]";
            if (KubernetesNames.WhyNotLabel(copy.Name) is { } why)
                sink.Report(DiagnosticCatalogue.NameInvalid, path + ".name", $"`{LookAlikeText.Visible(copy.Name)}` is not a DNS-1123 label: {why}",
                    $"did you mean `{KubernetesNames.Suggest(copy.Name)}`?");
            if (names.TryGetValue(copy.Name, out var first))
                sink.Report(DiagnosticCatalogue.CopyNameDuplicate, path + ".name", $"copy `{copy.Name}` is already defined at {first}");
            else
                names[copy.Name] = path;

            foreach (var (secret, at) in new[] { (copy.Credentials.PasswordSecret.Name, ".credentials.passwordSecret.name"), (copy.Credentials.AccessSecret.Name, ".credentials.accessSecret.name") })
                if (primarySecrets.TryGetValue(secret, out var use))
                    sink.Report(DiagnosticCatalogue.CopySharesPrimaryCredential, path + at,
                        $"Secret `{secret}` is {use}: whoever holds it holds the copy too");

            var host = Location(sink, copy, path, repo);
            Egress(sink, copy, path, host);

            if (copy.Retention is { } retention)
            {
                sink.Validate(Policy, retention, path + ".retention");
                KeepsAtLeast(sink, model, retention, path + ".retention");
            }
            if (copy.Check.Subsets is < 1 or > MaxSubsets)
                sink.Report(DiagnosticCatalogue.CopyCheckSubsetsInvalid, path + ".check.subsets",
                    $"{copy.Check.Subsets.ToString(CultureInfo.InvariantCulture)} is outside 1-{MaxSubsets.ToString(CultureInfo.InvariantCulture)}");
        }
        Overlaps(sink, inventory);
        UnreadSubsets(sink, inventory);
    }

    /// <summary>Every Secret the primary's jobs mount, with what it is, by name.</summary>
    private static Dictionary<string, string> PrimarySecrets(InventorySpec model)
    {
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string name, string what) => secrets.TryAdd(name, what);
        Add(model.Repository.PasswordSecret.Name, "the primary repository's password (repository.passwordSecret)");
        if (model.Repository.Server is { } server)
        {
            Add(server.HtpasswdSecret.Name, "the primary REST server's htpasswd (repository.server.htpasswdSecret)");
            foreach (var host in model.Hosts)
                Add(Names.RestCredentials(model.Repository.Name, host.Name), $"host {host.Name}'s credential on the primary REST server");
        }
        foreach (var host in model.Hosts)
        {
            Add(host.SshKeySecret.Name, $"host {host.Name}'s SSH key");
            if (host.RestoreKeySecret is { } restore)
                Add(restore.Name, $"host {host.Name}'s restore key");
        }
        return secrets;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex BucketName();

    /// <summary>MG1106, MG1107, MG1108: the location; returns its host (null when it cannot be read).</summary>
    private static string? Location(RuleSink sink, RepositoryCopySpec copy, string path, RepositorySpec repo)
    {
        if (copy.Location.Rest is { } rest)
        {
            var at = path + ".location.rest.url";
            if (JobConfigRules.WhyNotHttpUrl(rest.Url) is { } whyNot)
            {
                sink.Report(DiagnosticCatalogue.CopyLocationInvalid, at, $"`{rest.Url}` {whyNot}");
                return null;
            }
            var uri = new Uri(rest.Url);
            if (uri.UserInfo.Length > 0)
                sink.Report(DiagnosticCatalogue.CopyLocationInvalid, at, "the URL carries a user (and maybe a password): the user and password come from the access Secret",
                    "remove `user@` from the URL; the Secret's keys `username` and `password` hold them");
            if (!rest.Url.EndsWith('/') || uri.AbsolutePath == "/")
                sink.Report(DiagnosticCatalogue.CopyLocationInvalid, at,
                    uri.AbsolutePath == "/" ? $"`{rest.Url}` has no path: an append-only server with --private-repos serves each user below /<user>/" : $"`{rest.Url}` does not end in `/`");
            var server = Names.RestServer(repo.Name);
            if (repo.Server is not null && (uri.Host == server || uri.Host.StartsWith(server + ".", StringComparison.Ordinal)))
                sink.Report(DiagnosticCatalogue.CopyIsPrimary, at, $"`{uri.Host}` is the primary repository's own REST server (Service {server})");
            if (!rest.AppendOnly)
                sink.Report(DiagnosticCatalogue.CopyNotAppendOnly, path + ".location.rest.appendOnly",
                    $"copy {copy.Name} is not append-only: the copy job's credential can forget and prune every snapshot in it");
            return uri.Host;
        }
        if (copy.Location.S3 is { } s3)
        {
            string? host = null;
            if (JobConfigRules.WhyNotHttpUrl(s3.Endpoint) is { } whyNot)
                sink.Report(DiagnosticCatalogue.CopyLocationInvalid, path + ".location.s3.endpoint", $"`{s3.Endpoint}` {whyNot}");
            else
                host = new Uri(s3.Endpoint).Host;
            if (!BucketName().IsMatch(s3.Bucket))
                sink.Report(DiagnosticCatalogue.CopyLocationInvalid, path + ".location.s3.bucket", $"`{s3.Bucket}` is not a bucket name (3 to 63 lower-case letters, digits, `.` and `-`)");
            if (s3.Prefix.StartsWith('/'))
                sink.Report(DiagnosticCatalogue.CopyLocationInvalid, path + ".location.s3.prefix", $"`{s3.Prefix}` starts with `/`");
            sink.Report(DiagnosticCatalogue.CopyNotAppendOnly, path + ".location.s3",
                $"copy {copy.Name} is in an S3 bucket: restic deletes there with the credential it writes with, so the copy job's credential can erase the copy");
            return host;
        }
        return null;
    }

    /// <summary>MG1103 (and MG0716 for a malformed range): the NetworkPolicy can name where the copy lives.</summary>
    private static void Egress(RuleSink sink, RepositoryCopySpec copy, string path, string? host)
    {
        var networks = new List<IPNetwork>();
        for (var i = 0; i < copy.EgressCidrs.Length; i++)
        {
            if (NetworkRule.IsCidr(copy.EgressCidrs[i]))
                networks.Add(IPNetwork.Parse(copy.EgressCidrs[i]));
            else
                sink.Report(DiagnosticCatalogue.CidrInvalid, $"{path}.egressCidrs[{i}]", $"`{copy.EgressCidrs[i]}` is not an IP range with its network address");
        }
        if (host is null)
            return;
        var bare = host.Trim('[', ']');
        if (!IPAddress.TryParse(bare, out var address))
        {
            if (copy.EgressCidrs.IsEmpty)
                sink.Report(DiagnosticCatalogue.CopyEgressUnknown, path + ".location",
                    $"`{host}` is a DNS name: the NetworkPolicy can allow only IP ranges, and without `egressCidrs` the copy pods cannot reach copy {copy.Name}");
            return;
        }
        if (networks.Count > 0 && !networks.Any(n => n.Contains(address)))
            sink.Report(DiagnosticCatalogue.CopyEgressUnknown, path + ".egressCidrs",
                $"the location's address {bare} is in none of the copy's egressCidrs: the NetworkPolicy would block it");
    }

    /// <summary>MG1104: the copy keeps, in every bucket, at least what each app's policy keeps on the primary.</summary>
    private static void KeepsAtLeast(RuleSink sink, InventorySpec model, RetentionSpec copy, string path)
    {
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var app in InventoryResolution.Apps(model))
        {
            var primary = app.Retention;
            foreach (var (key, p, c) in new[]
            {
                ("last", primary.Last, copy.Last), ("hourly", primary.Hourly, copy.Hourly), ("daily", primary.Daily, copy.Daily),
                ("weekly", primary.Weekly, copy.Weekly), ("monthly", primary.Monthly, copy.Monthly), ("yearly", primary.Yearly, copy.Yearly),
            })
            {
                if (p is not { } keep || c == -1 || (keep != -1 && c >= keep) || !reported.Add(key))
                    continue;
                sink.Report(DiagnosticCatalogue.CopyRetentionKeepsLess, c is null ? path : path + "." + key,
                    $"the copy keeps {(c is null ? "no" : c.Value.ToString(CultureInfo.InvariantCulture))} {key} snapshot(s), the primary keeps {(keep == -1 ? "all" : keep.ToString(CultureInfo.InvariantCulture))} of {app.Host.Name}/{app.App.Name}");
            }
            if (primary.Within is { } within && ResticSyntax.DurationHours(within) is { } pHours && (copy.Within is null || ResticSyntax.DurationHours(copy.Within) is not { } cHours || cHours < pHours) && reported.Add("within"))
                sink.Report(DiagnosticCatalogue.CopyRetentionKeepsLess, copy.Within is null ? path : path + ".within",
                    $"the copy keeps {(copy.Within is null ? "nothing" : $"snapshots within {copy.Within}")} by age, the primary keeps those within {within} of {app.Host.Name}/{app.App.Name}");
            foreach (var tag in primary.Tags.Where(t => !copy.Tags.Contains(t)))
                if (reported.Add("tag:" + tag))
                    sink.Report(DiagnosticCatalogue.CopyRetentionKeepsLess, path + ".tags",
                        $"the copy does not keep snapshots tagged `{tag}`, the primary does for {app.Host.Name}/{app.App.Name}");
        }
    }

    /// <summary>
    /// MG1105: after placement, a copy still meets a backup, drill or maintenance job of the repository it
    /// reads, or a copy's check meets its copy. One finding per job, naming the first meeting.
    /// </summary>
    private static void Overlaps(RuleSink sink, LoadedInventory inventory)
    {
        var jobs = JobSchedules.Of(inventory);
        var windows = jobs.Select(Windows).ToList();
        for (var j = 0; j < jobs.Length; j++)
        {
            var job = jobs[j];
            if (job.Role is not (JobRole.Copy or JobRole.CopyCheck) || windows[j] is not { } mine)
                continue;
            for (var o = 0; o < jobs.Length; o++)
            {
                var other = jobs[o];
                var meets = job.Role == JobRole.Copy
                    ? other.Role is not (JobRole.Copy or JobRole.CopyCheck) && other.Repository == job.Repository
                    : other.Role == JobRole.Copy && other.CopyRepository == job.Repository;
                if (!meets || windows[o] is not { } theirs || ScheduleRule.FirstOverlap(mine, theirs) is not { } at)
                    continue;
                var zone = TimeZones.Resolve(job.TimeZone);
                sink.Report(DiagnosticCatalogue.CopyScheduleOverlaps, job.SchedulePath,
                    $"{job.Description} runs {ScheduleRule.Time(at.M.Start, zone)} to {ScheduleRule.Time(at.M.End, zone)}; " +
                    $"{other.Description} runs {ScheduleRule.Time(at.B.Start, zone)} to {ScheduleRule.Time(at.B.End, zone)}");
                break;
            }
        }
    }

    /// <summary>
    /// MG1110: a copy check whose runs (its placed schedule, over as many runs as it takes to see every subset
    /// twice) reach fewer of its N subsets than N, by the runner's own rule (<see cref="ResticSyntax.CopyCheckSubset"/>).
    /// </summary>
    private static void UnreadSubsets(RuleSink sink, LoadedInventory inventory)
    {
        var copies = inventory.Model.Repository.Copies;
        for (var c = 0; c < copies.Length; c++)
        {
            var subsets = copies[c].Check.Subsets;
            if (!copies[c].Check.Enabled || subsets is < 2 or > MaxSubsets)
                continue;
            var path = $"repository.copies[{c}].check";
            // One job per repository the copy reads: the same schedule's H may be placed differently for each.
            foreach (var job in JobSchedules.Of(inventory).Where(j => j.Role == JobRole.CopyCheck && j.SchedulePath.StartsWith(path + ".", StringComparison.Ordinal)))
            {
                if (job.Expanded is null || !TimeZones.IsValid(job.TimeZone) || CronExpression.Parse(job.Expanded).Schedule is not { } schedule)
                    continue;
                var reached = schedule.Occurrences(JobSchedules.Reference, TimeZones.Resolve(job.TimeZone), 2 * subsets, JobSchedules.Reference.AddYears(5))
                    .Select(start => ResticSyntax.CopyCheckSubset(start, subsets)).Distinct().Count();
                if (reached >= subsets)
                    continue;
                sink.Report(DiagnosticCatalogue.CopyCheckSubsetsUnread, path + ".subsets",
                    $"{job.Description} runs `{job.Expanded}`: its runs read {reached.ToString(CultureInfo.InvariantCulture)} of the " +
                    $"{subsets.ToString(CultureInfo.InvariantCulture)} subsets (n = day number mod {subsets.ToString(CultureInfo.InvariantCulture)} + 1); the packs of the others are never read back");
                break;
            }
        }
    }

    private static ImmutableArray<(DateTimeOffset Start, DateTimeOffset End)>? Windows(ScheduledJob job) =>
        job.Expanded is null || !TimeZones.IsValid(job.TimeZone) || CronExpression.Parse(job.Expanded).Schedule is not { } schedule
            ? null
            : JobSchedules.Windows(schedule, TimeZones.Resolve(job.TimeZone), job.DeadlineSeconds);

}
