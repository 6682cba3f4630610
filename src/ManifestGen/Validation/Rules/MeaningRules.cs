using System.Globalization;
using FluentValidation;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Loading;
using ManifestGen.Validation.Primitives;
using static ManifestGen.Validation.ValidatorAdapter;

namespace ManifestGen.Validation.Rules;

/// <summary>What a size is for, which decides the unit it was most likely meant in.</summary>
internal sealed record SizeUse(string Purpose, Func<string, string> LikelyUnit)
{
    public static readonly SizeUse Capacity = new("a repository volume", n => Number(n) <= 64 ? "Ti" : "Gi");
    public static readonly SizeUse Mirror = new("a mirror of the app's files", _ => "Gi");
    public static readonly SizeUse Cache = new("the restic cache", n => Number(n) < 64 ? "Gi" : "Mi");
    public static readonly SizeUse Memory = new("a container's memory", n => Number(n) < 64 ? "Gi" : "Mi");
    public static readonly SizeUse Ephemeral = new("a container's ephemeral storage", n => Number(n) < 64 ? "Gi" : "Mi");

    private static decimal Number(string n) => decimal.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0;
}

/// <summary>The sizes and CPU amounts of the inventory whose written form means something else than intended.</summary>
internal static class QuantityMeaning
{
    private const decimal MiB = 1024m * 1024;
    private const decimal ManyCores = 100;

    /// <summary>A failure for a size below 1 MiB, or null (malformed quantities are MG0505's).</summary>
    public static FluentValidation.Results.ValidationFailure? Size(string path, string? text, SizeUse use)
    {
        if (text is null || !Quantity.TryParse(text, out var quantity, out _) || quantity!.Value <= 0 || quantity.Value >= MiB)
            return null;
        var number = NumberPart(text);
        var suffix = text[number.Length..];
        var why = suffix switch
        {
            "" => ": a size without a unit counts bytes",
            "m" => ": `m` means milli (thousandths), not mega",
            _ => "",
        };
        var intended = number + use.LikelyUnit(number);
        return Failure(DiagnosticCatalogue.QuantityMeansOtherThanWritten, path,
            $"`{text}` is {Quantity.Describe(quantity.Value)}{why}; far too small for {use.Purpose}",
            $"did you mean `{intended}`?");
    }

    /// <summary>A failure for a CPU amount without a unit of 100 cores or more, or null.</summary>
    public static FluentValidation.Results.ValidationFailure? Cpu(string path, string? text)
    {
        if (text is null || !Quantity.TryParse(text, out var quantity, out _) || NumberPart(text) != text || quantity!.Value < ManyCores)
            return null;
        return Failure(DiagnosticCatalogue.QuantityMeansOtherThanWritten, path,
            $"`{text}` is {text} CPU cores: a CPU amount without a unit counts whole cores",
            $"did you mean `{text}m` ({text} millicores)?");
    }

    private static string NumberPart(string text)
    {
        var end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] is '.' or '+' or '-'))
            end++;
        return text[..end];
    }
}

/// <summary>Requests and limits of one container: memory and ephemeral storage below 1 MiB, CPU in whole cores by mistake.</summary>
internal sealed class ResourcesMeaningValidator : AbstractValidator<ResourcesSpec>
{
    public ResourcesMeaningValidator()
    {
        RuleFor(r => r).Custom((resources, context) =>
        {
            foreach (var (kind, amounts) in new[] { ("requests", resources.Requests), ("limits", resources.Limits) })
            {
                if (amounts is null)
                    continue;
                foreach (var failure in new[]
                         {
                             QuantityMeaning.Cpu($"{kind}.cpu", amounts.Cpu),
                             QuantityMeaning.Size($"{kind}.memory", amounts.Memory, SizeUse.Memory),
                             QuantityMeaning.Size($"{kind}.ephemeralStorage", amounts.EphemeralStorage, SizeUse.Ephemeral),
                         })
                    if (failure is not null)
                        context.AddFailure(failure);
            }
        });
    }
}

/// <summary>MG0515: sizes without a unit (bytes), sizes in milli, CPU amounts in whole cores by mistake.</summary>
public sealed class QuantityMeaningRule : InventoryRule
{
    private static readonly ResourcesMeaningValidator Resources = new();
    private static readonly InlineValidator<RepositorySpec> Repository = RepositoryValidator();
    private static readonly InlineValidator<AppDefaults> Defaults = DefaultsValidator();
    private static readonly InlineValidator<AppSpec> App = AppValidator();

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var model = inventory.Model;
        sink.Validate(Repository, model.Repository, "repository");
        sink.Validate(Defaults, model.Defaults, "defaults");
        sink.Validate(Resources, model.Defaults.Resources, "defaults.resources");
        if (model.Maintenance.Forget.Resources is { } forget)
            sink.Validate(Resources, forget, "maintenance.forget.resources");
        if (model.Maintenance.Check.Resources is { } check)
            sink.Validate(Resources, check, "maintenance.check.resources");
        for (var h = 0; h < model.Hosts.Length; h++)
            for (var a = 0; a < model.Hosts[h].Apps.Length; a++)
            {
                var app = model.Hosts[h].Apps[a];
                sink.Validate(App, app, $"hosts[{h}].apps[{a}]");
                if (app.Resources is { } resources)
                    sink.Validate(Resources, resources, $"hosts[{h}].apps[{a}].resources");
            }
    }

    private static InlineValidator<RepositorySpec> RepositoryValidator()
    {
        var v = new InlineValidator<RepositorySpec>();
        v.RuleFor(r => r.Capacity).Custom((text, context) => Add(context, QuantityMeaning.Size("capacity", text, SizeUse.Capacity)));
        v.RuleFor(r => r.CacheSize).Custom((text, context) => Add(context, QuantityMeaning.Size("cacheSize", text, SizeUse.Cache)));
        return v;
    }

    private static InlineValidator<AppDefaults> DefaultsValidator()
    {
        var v = new InlineValidator<AppDefaults>();
        v.RuleFor(d => d.MirrorSize).Custom((text, context) => Add(context, QuantityMeaning.Size("mirrorSize", text, SizeUse.Mirror)));
        return v;
    }

    private static InlineValidator<AppSpec> AppValidator()
    {
        var v = new InlineValidator<AppSpec>();
        v.RuleFor(a => a.MirrorSize).Custom((text, context) => Add(context, QuantityMeaning.Size("mirrorSize", text, SizeUse.Mirror)));
        return v;
    }

    private static void Add<T>(ValidationContext<T> context, FluentValidation.Results.ValidationFailure? failure)
    {
        if (failure is not null)
            context.AddFailure(failure);
    }
}

/// <summary>One app with its effective deadline, for the rules that compare its parts with it.</summary>
internal sealed record AppInInventory(ResolvedApp App, SourceMap Map);

/// <summary>
/// MG0411, MG0412: a hook or dump whose timeout never fires because the job's deadline comes first, and
/// hooks whose timeouts (with stopping and starting services) add up to the whole deadline.
/// </summary>
internal sealed class HookTimeoutValidator : AbstractValidator<AppInInventory>
{
    /// <summary>Stopping services runs three compose commands (list running, stop, start), each bounded by the runner.</summary>
    private const int ComposeCommands = 3;

    public HookTimeoutValidator()
    {
        RuleFor(x => x.App).Custom((app, context) =>
        {
            var hooks = app.App.Hooks;
            if (hooks.SwitchDelayMinutes is < 1 or > HooksConfig.MaxSwitchDelaySeconds / 60)
                context.AddFailure(Failure(DiagnosticCatalogue.SwitchDelayOutOfRange, $"{app.Path}.hooks.switchDelayMinutes",
                    string.Create(CultureInfo.InvariantCulture, $"the dead man's switch delay of {app.Host.Name}/{app.App.Name} is {hooks.SwitchDelayMinutes} minutes; it must be from 1 to {HooksConfig.MaxSwitchDelaySeconds / 60}")));
            if (hooks.KeepServicesRunning && !hooks.StopServices.IsEmpty)
                context.AddFailure(Failure(DiagnosticCatalogue.ServicesKeptRunning, $"{app.Path}.hooks.keepServicesRunning",
                    $"{app.Host.Name}/{app.App.Name} never stops {string.Join(", ", hooks.StopServices)}: its snapshots hold files as they were being written" +
                    (app.App.Strategy == TransferStrategy.Rsync ? " (an rsync app stops them only for the short second pass; leave keepServicesRunning unset)" : "")));
            var deadline = app.ActiveDeadlineSeconds;
            var deadlinePath = app.PathOf("activeDeadlineSeconds", context.InstanceToValidate.Map);
            // A deadline that is not positive is refused at its own line (MG0913); the hooks are not what is wrong.
            if (deadline <= 0)
                return;
            var parts = hooks.Before.Select((h, i) => (What: "the before hook", Path: $"hooks.before[{i}].timeoutSeconds", h.TimeoutSeconds))
                .Concat(hooks.Dumps.Select((d, i) => (What: $"the dump `{d.Name}`", Path: $"hooks.dumps[{i}].timeoutSeconds", d.TimeoutSeconds)))
                .Concat(hooks.After.Select((h, i) => (What: "the after hook", Path: $"hooks.after[{i}].timeoutSeconds", h.TimeoutSeconds)))
                .ToList();
            var single = false;
            foreach (var part in parts.Where(p => p.TimeoutSeconds >= deadline))
            {
                single = true;
                context.AddFailure(Failure(DiagnosticCatalogue.HookTimeoutBeyondDeadline, $"{app.Path}.{part.Path}",
                    $"{part.What} may run {Seconds(part.TimeoutSeconds)}, but the job is stopped after {Seconds(deadline)} ({deadlinePath}): the timeout never fires" +
                    (hooks.After.IsEmpty && hooks.StopServices.IsEmpty ? "" : ", and the after hooks and the restart of stopped services are cut off")));
            }
            var compose = hooks.StopServices.IsEmpty ? 0 : ComposeCommands * (long)hooks.ComposeTimeoutSeconds;
            var total = parts.Sum(p => (long)p.TimeoutSeconds) + compose;
            if (single || total < deadline || parts.Count + compose == 0)
                return;
            var pieces = new List<string>();
            foreach (var (what, seconds) in new[]
                     {
                         ("before hooks", hooks.Before.Sum(h => (long)h.TimeoutSeconds)),
                         ("dumps", hooks.Dumps.Sum(d => (long)d.TimeoutSeconds)),
                         ("after hooks", hooks.After.Sum(h => (long)h.TimeoutSeconds)),
                         ("stopping and starting services", (long)compose),
                     })
                if (seconds > 0)
                    pieces.Add($"{what} {Seconds(seconds)}");
            context.AddFailure(Failure(DiagnosticCatalogue.HooksOutlastDeadline, $"{app.Path}.hooks",
                $"the hooks of {app.Host.Name}/{app.App.Name} may take {Seconds(total)} together ({string.Join(", ", pieces)}), " +
                $"not less than the job's {Seconds(deadline)} ({deadlinePath}): no time is left for the transfer", atKey: true));
        });
    }

    private static string Seconds(long seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{seconds} s") + (seconds >= 60 ? $" ({ScheduleRule.Duration(TimeSpan.FromSeconds(seconds))})" : "");
}

/// <summary>MG0411, MG0412: hook and dump timeouts against the job's deadline; MG0414, MG0415: the switch's delay and services kept running.</summary>
public sealed class HookTimeoutRule : InventoryRule
{
    private static readonly HookTimeoutValidator Validator = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        foreach (var app in InventoryResolution.Apps(inventory.Model))
            sink.Validate(Validator, new AppInInventory(app, inventory.SourceMap), "");
    }
}

/// <summary>MG0717: an exclude that takes a whole path of the app (the path itself or a folder above it).</summary>
internal sealed class ExcludeScopeValidator : AbstractValidator<AppSpec>
{
    public ExcludeScopeValidator()
    {
        RuleForEach(a => a.Excludes).Custom((pattern, context) =>
        {
            var app = context.InstanceToValidate;
            var index = app.Excludes.IndexOf(pattern);
            foreach (var path in app.Paths.Where(p => ExcludePattern.ExcludesWholePath(pattern, p)))
            {
                var how = pattern.StartsWith('/')
                    ? $"it matches `{path}` itself or a folder above it"
                    : $"without a leading `/` it is matched against every part of a path, and it matches a part of `{path}` itself";
                var all = app.Paths.All(p => ExcludePattern.ExcludesWholePath(pattern, p));
                context.AddFailure(Failure(DiagnosticCatalogue.ExcludeRemovesApp, $"excludes[{index}]",
                    $"`{pattern}` excludes {(all && app.Paths.Length > 1 ? "every path of the app, " : "")}all of `{path}`: {how}, so {(all ? "the app's snapshots are empty" : "none of its files are backed up")}",
                    $"exclude something inside it: `{path.TrimEnd('/')}/{LastPart(pattern)}` for one place, or a name that occurs only below it"));
            }
        });
    }

    private static string LastPart(string pattern)
    {
        var last = pattern.TrimEnd('/').Split('/').LastOrDefault(p => p.Length > 0);
        return last is null or "*" or "**" ? "cache" : last;
    }
}

/// <summary>MG0717: excludes that remove a whole path of their app.</summary>
public sealed class ExcludeScopeRule : InventoryRule
{
    private static readonly ExcludeScopeValidator Validator = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        for (var h = 0; h < inventory.Model.Hosts.Length; h++)
            for (var a = 0; a < inventory.Model.Hosts[h].Apps.Length; a++)
                sink.Validate(Validator, inventory.Model.Hosts[h].Apps[a], $"hosts[{h}].apps[{a}]");
    }
}
