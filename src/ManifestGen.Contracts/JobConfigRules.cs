using System.Collections.Immutable;

namespace ManifestGen.Contracts;

/// <summary>A reason the runner refuses a job configuration: the field (as the JSON names it) and why.</summary>
public sealed record JobConfigProblem(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>
/// Every check the runner makes on its configuration before it runs, in one function with two callers:
/// the runner refuses a configuration with any problem (exit 2) and the generator runs the same function
/// on every job.json it renders, so a configuration the runner would refuse at 3 a.m. fails at commit.
/// </summary>
public static class JobConfigRules
{
    public static ImmutableArray<JobConfigProblem> Check(JobConfig config)
    {
        var problems = new List<JobConfigProblem>();
        void Add(string field, string message) => problems.Add(new JobConfigProblem(field, message));

        if (config.Version != JobConfig.CurrentVersion)
            Add("version", $"version {config.Version} is not supported (this runner reads version {JobConfig.CurrentVersion})");
        if (config.Environment.Length == 0)
            Add("environment", "is empty");

        var repo = config.Repository;
        // A REST server repository (rest:http://SERVER/HOST/) or a mounted folder.
        var rest = repo.Location.StartsWith("rest:http://", StringComparison.Ordinal) || repo.Location.StartsWith("rest:https://", StringComparison.Ordinal);
        if (!rest) Absolute("repository.location", repo.Location);
        if (repo.Location.Contains('@', StringComparison.Ordinal) && rest)
            Add("repository.location", "holds credentials; give the REST server user as restUsername and its password as restPasswordFile");
        if (!rest && (repo.RestUsername is not null || repo.RestPasswordFile is not null))
            Add("repository.restUsername", "REST server credentials need a rest: repository location");
        if (repo.RestPasswordFile is { } restPassword) Absolute("repository.restPasswordFile", restPassword);
        Absolute("repository.passwordFile", repo.PasswordFile);
        Absolute("repository.cacheDir", repo.CacheDir);
        if (repo.RetryLockSeconds < 0)
            Add("repository.retryLockSeconds", $"{repo.RetryLockSeconds} is negative");
        // The lock wait is the longest a killed run's lock can hold up this job; it must end before the Job's
        // deadline does, or the pod is killed while it waits and the run ends without its own clear exit 11.
        else if (config.ActiveDeadlineSeconds is { } deadline && repo.RetryLockSeconds >= deadline)
            Add("repository.retryLockSeconds", $"{repo.RetryLockSeconds} is not shorter than the job's activeDeadlineSeconds ({deadline}): the job would be killed while it waits for a lock");
        if (repo.StallTimeoutSeconds <= 0)
            Add("repository.stallTimeoutSeconds", $"{repo.StallTimeoutSeconds} must be positive");
        // The runner's shutdown steps are shares of this period; below the minimum they are too short.
        if (config.TerminationGracePeriodSeconds < ShutdownBudget.MinimumGracePeriodSeconds)
            Add("terminationGracePeriodSeconds", $"{config.TerminationGracePeriodSeconds} is too short (at least {ShutdownBudget.MinimumGracePeriodSeconds})");
        if (config.ActiveDeadlineSeconds is <= 0)
            Add("activeDeadlineSeconds", $"{config.ActiveDeadlineSeconds} must be positive");
        if (config.Reporting.PushgatewayUrl is { } gw && WhyNotHttpUrl(gw) is { } whyUrl)
            Add("reporting.pushgatewayUrl", $"'{gw}' {whyUrl}");
        foreach (var (command, instance) in config.Reporting.Instances ?? ImmutableSortedDictionary<string, string>.Empty)
            if (!IsInstanceName(instance))
                Add($"reporting.instances.{command}", $"'{instance}' is not a job name (lower-case letters, digits, '-' and '.', at most 63): it is a pushgateway group and a label value");

        switch (config.Kind)
        {
            case JobKind.Backup:
                if (config.Host is null)
                    Add("host", "a backup job needs the host it reaches");
                if (config.App is null)
                    Add("app", "a backup job needs the app it backs up");
                break;
            case JobKind.Coverage:
                if (config.Host is not { Gated: true })
                    Add("host", "a coverage job needs a gated host: the discovery is a request of the host gate");
                if (config.Coverage is null)
                    Add("coverage", "a coverage job needs the host's apps");
                break;
            case JobKind.Maintain:
                if (config.Maintenance is null)
                    Add("maintenance", "a maintain job needs maintenance settings");
                break;
            case JobKind.Copy:
                if (config.Copies is not { Length: 1 })
                    Add("copies", "a copy job needs exactly the one copy it writes");
                break;
        }
        if (config.Host is { } host)
            CheckHost(host, Add);
        if (config.App is { } app)
            CheckApp(app, Add, Absolute);
        if (config.Maintenance is { } maintenance)
            CheckMaintenance(maintenance, Add);
        return [.. problems];

        void Absolute(string field, string value)
        {
            if (!value.StartsWith('/'))
                Add(field, $"'{value}' must be an absolute path");
        }
    }

    private static void CheckHost(HostConfig host, Action<string, string> add)
    {
        if (host.Name.Length == 0)
            add("host.name", "is empty (it is restic's --host)");
        if (host.Port is < 1 or > 65535)
            add("host.port", $"{host.Port} is not a TCP port (1-65535)");
        // ssh_config values are written as one double-quoted token each.
        foreach (var (field, value) in new[] { ("host.address", host.Address), ("host.user", host.User), ("host.identityFile", host.IdentityFile), ("host.knownHostsFile", host.KnownHostsFile) })
        {
            if (value.Length == 0)
                add(field, "is empty");
            else if (value.IndexOfAny(['"', '\n', '\r', '\0']) >= 0)
                add(field, "must not contain quotes or line breaks (it becomes one ssh_config value)");
        }
        if (host.ConnectTimeoutSeconds <= 0)
            add("host.connectTimeoutSeconds", $"{host.ConnectTimeoutSeconds} must be positive");
        if (host.ServerAliveIntervalSeconds <= 0)
            add("host.serverAliveIntervalSeconds", $"{host.ServerAliveIntervalSeconds} must be positive");
        if (host.RequestTimeoutSeconds <= 0)
            add("host.requestTimeoutSeconds", $"{host.RequestTimeoutSeconds} must be positive");
        // The version travels to the gate as a word of its request: hex digits only.
        if (host.AllowLists is { } lists)
            foreach (var (field, list) in new[] { ("host.allowLists.backup.version", lists.Backup), ("host.allowLists.restore.version", lists.Restore) })
                if (!GateAllowList.IsVersion(list.Version))
                    add(field, $"'{list.Version}' is not an allow-list version (16 lower-case hex digits)");
        BandwidthLimit("host.bandwidthLimitKiBps", host.BandwidthLimitKiBps, add);
    }

    private static void CheckApp(AppConfig app, Action<string, string> add, Action<string, string> absolute)
    {
        if (app.Name.Length == 0)
            add("app.name", "is empty (it is the app= tag)");
        if (app.Paths.IsEmpty)
            add("app.paths", "lists no path; there is nothing to back up");
        for (var i = 0; i < app.Paths.Length; i++)
        {
            absolute($"app.paths[{i}]", app.Paths[i]);
            NoNul($"app.paths[{i}]", app.Paths[i], add);
        }
        absolute("app.localRoot", app.LocalRoot);
        if (app.TransferTimeoutSeconds <= 0)
            add("app.transferTimeoutSeconds", $"{app.TransferTimeoutSeconds} must be positive");
        if (app.ChangedFileRecopies < 0)
            add("app.changedFileRecopies", $"{app.ChangedFileRecopies} is negative");
        if (app.ChecksumIntervalDays < 0)
            add("app.checksumIntervalDays", $"{app.ChecksumIntervalDays} is negative (0 means every run)");
        BandwidthLimit("app.bandwidthLimitKiBps", app.BandwidthLimitKiBps, add);
        var hooks = app.Hooks;
        CheckCommands("app.hooks.before", hooks.Before, add);
        CheckCommands("app.hooks.after", hooks.After, add);
        if (!hooks.StopServices.IsEmpty && string.IsNullOrEmpty(hooks.ComposeDirectory))
            add("app.hooks.stopServices", "needs hooks.composeDirectory (the folder holding the compose file on the host)");
        for (var i = 0; i < hooks.StopServices.Length; i++)
            NoNul($"app.hooks.stopServices[{i}]", hooks.StopServices[i], add);
        if (hooks.ComposeDirectory is { } dir)
            NoNul("app.hooks.composeDirectory", dir, add);
        if (hooks.SwitchDelaySeconds is < 1 or > HooksConfig.MaxSwitchDelaySeconds)
            add("app.hooks.switchDelaySeconds", $"{hooks.SwitchDelaySeconds} is not from 1 to {HooksConfig.MaxSwitchDelaySeconds}");
        if (hooks.ComposeTimeoutSeconds <= 0)
            add("app.hooks.composeTimeoutSeconds", $"{hooks.ComposeTimeoutSeconds} must be positive");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < hooks.Dumps.Length; i++)
        {
            var dump = hooks.Dumps[i];
            var at = $"app.hooks.dumps[{i}]";
            // restic 0.18 saves a stream only as a top-level file; a folder in the name fails late and obscurely.
            if (dump.FileName.Length == 0 || dump.FileName.Contains('/'))
                add(at + ".fileName", $"'{dump.FileName}' must be a plain file name without '/'");
            if (!names.Add(dump.Name))
                add(at + ".name", $"'{dump.Name}' names two dumps (the dump= tag must tell them apart)");
            if (dump.TimeoutSeconds <= 0)
                add(at + ".timeoutSeconds", $"{dump.TimeoutSeconds} must be positive");
            NoNul(at + ".command", dump.Command, add);
        }
    }

    private static void CheckCommands(string field, ImmutableArray<HookCommand> commands, Action<string, string> add)
    {
        for (var i = 0; i < commands.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(commands[i].Run))
                add($"{field}[{i}].run", "is empty");
            NoNul($"{field}[{i}].run", commands[i].Run, add);
            if (commands[i].TimeoutSeconds <= 0)
                add($"{field}[{i}].timeoutSeconds", $"{commands[i].TimeoutSeconds} must be positive");
        }
    }

    /// <summary>
    /// rsync's --bwlimit and restic's --limit-upload/--limit-download take whole KiB/s; 0 would mean no limit
    /// to rsync, so "none" is written by leaving the field out.
    /// </summary>
    private static void BandwidthLimit(string field, int? value, Action<string, string> add)
    {
        if (value is <= 0)
            add(field, $"{value} must be a positive number of KiB/s (leave it out for no limit)");
    }

    /// <summary>A Kubernetes object name short enough for a label value: what the generator names its jobs.</summary>
    public static bool IsInstanceName(string name) =>
        name.Length is > 0 and <= 63
        && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0]))
        && (char.IsAsciiLetterLower(name[^1]) || char.IsAsciiDigit(name[^1]))
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.');

    /// <summary>Why <paramref name="url"/> is not an absolute http(s) URL, or null (pings and the pushgateway).</summary>
    public static string? WhyNotHttpUrl(string url)
    {
        if (!url.Contains("://", StringComparison.Ordinal) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
            return "is not an absolute URL with a scheme (write http://HOST:PORT or https://...)";
        if (uri.Scheme is not ("http" or "https"))
            return $"has the unsupported scheme '{uri.Scheme}' (http or https only)";
        return null;
    }

    // Everything sent to the remote shell is quoted by one function, and a NUL cannot be quoted.
    private static void NoNul(string field, string value, Action<string, string> add)
    {
        if (value.Contains('\0'))
            add(field, "contains a NUL character, which cannot be passed to the remote shell");
    }

    private static void CheckMaintenance(MaintenanceConfig maintenance, Action<string, string> add)
    {
        for (var i = 0; i < maintenance.Groups.Length; i++)
        {
            var group = maintenance.Groups[i];
            var at = $"maintenance.groups[{i}]";
            if (group.Host.Length == 0 || group.App.Length == 0)
                add(at, "needs a host and an app");
            var p = group.Policy;
            if (p is { KeepLast: null, KeepHourly: null, KeepDaily: null, KeepWeekly: null, KeepMonthly: null, KeepYearly: null, KeepWithin: null } && p.KeepTags.IsEmpty)
                add(at + ".policy", "keeps nothing; forget would remove every snapshot (refused)");
            foreach (var (name, value) in new[] { ("keepLast", p.KeepLast), ("keepHourly", p.KeepHourly), ("keepDaily", p.KeepDaily), ("keepWeekly", p.KeepWeekly), ("keepMonthly", p.KeepMonthly), ("keepYearly", p.KeepYearly) })
                if (value is < 0 and not -1)
                    add($"{at}.policy.{name}", $"{value} is negative (restic takes -1 for unlimited)");
            if (p.KeepWithin is { } within && ResticSyntax.WhyNotDuration(within) is { } why)
                add(at + ".policy.keepWithin", $"'{within}': {why}");
        }
        if (maintenance.ReadDataSubset is { } subset && ResticSyntax.WhyNotReadDataSubset(subset) is { } whyNot)
            add("maintenance.readDataSubset", $"'{subset}': {whyNot}");
    }
}
