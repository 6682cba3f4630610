using FluentValidation;
using FluentValidation.Results;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Planning;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Validation.Rules;

/// <summary>MG0301, MG0305: names that become parts of object names and labels are DNS-1123 labels and unique.</summary>
public sealed class NameRule : InventoryRule
{
    private static readonly NameValidator Validator = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink) =>
        sink.Validate(Validator, inventory.Model, "");
}

/// <summary>
/// MG0301, MG0305: the names, their uniqueness and the object names derived from them. One custom rule,
/// because uniqueness and derived-name collisions depend on every earlier entry, in inventory order.
/// </summary>
internal sealed class NameValidator : AbstractValidator<InventorySpec>
{
    public NameValidator()
    {
        RuleFor(m => m).Custom((model, context) =>
        {
            var failures = new List<ValidationFailure>();
            Check(failures, model);
            foreach (var failure in failures)
                context.AddFailure(failure);
        });
    }

    private static void Check(List<ValidationFailure> failures, InventorySpec model)
    {
        Label(failures, "namespace", model.Namespace);
        Label(failures, "repository.name", model.Repository.Name);
        Subdomain(failures, "repository.passwordSecret.name", model.Repository.PasswordSecret.Name);
        if (model.Repository.StorageClassName.Length > 0)
            Subdomain(failures, "repository.storageClassName", model.Repository.StorageClassName);
        if (model.Defaults.MirrorStorageClassName is { } mirrorClass)
            Subdomain(failures, "defaults.mirrorStorageClassName", mirrorClass);
        if (model.GitOps.ArgoCd.ApplicationName is { } application)
            Subdomain(failures, "gitOps.argoCd.applicationName", application);
        Label(failures, "gitOps.argoCd.namespace", model.GitOps.ArgoCd.Namespace);

        var hostNames = new Dictionary<string, string>(StringComparer.Ordinal);
        // Every derived object name, with the entry it comes from: two entries must never derive the same one.
        var derived = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Names.Check(model.Repository.Name)] = "the check job",
            [Names.Prune(model.Repository.Name)] = "the prune job",
        };
        foreach (var host in model.Hosts)
            derived.TryAdd(Names.Maintain(model.Repository.Name, host.Name), $"the forget job of host {host.Name}");
        for (int h = 0; h < model.Hosts.Length; h++)
        {
            var host = model.Hosts[h];
            var hostPath = $"hosts[{h}]";
            Label(failures, hostPath + ".name", host.Name);
            Subdomain(failures, hostPath + ".sshKeySecret.name", host.SshKeySecret.Name);
            Unique(failures, hostNames, host.Name, hostPath + ".name", "host");
            var appNames = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int a = 0; a < host.Apps.Length; a++)
            {
                var appPath = $"{hostPath}.apps[{a}]";
                Label(failures, appPath + ".name", host.Apps[a].Name);
                Unique(failures, appNames, host.Apps[a].Name, appPath + ".name", $"app of host {host.Name}");
                if (!appNames.ContainsKey(host.Apps[a].Name) || appNames[host.Apps[a].Name] == appPath + ".name")
                    DerivedNames(failures, derived, host.Name, host.Apps[a].Name, appPath);
                for (int t = 0; t < host.Apps[a].Tags.Length; t++)
                    if (host.Apps[a].Tags[t] is var tag && (tag.Length == 0 || tag.Contains(',') || tag.Any(char.IsWhiteSpace)))
                        failures.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.LabelValueInvalid, $"{appPath}.tags[{t}]",
                            $"restic tag `{tag}` is empty or contains a comma or white space"));
            }
        }
    }

    // The planner names a backup CronJob backup-<host>-<app> and its mirror claim mirror-<host>-<app>, cut with a hash at 52/63.
    private static void DerivedNames(List<ValidationFailure> failures, Dictionary<string, string> derived, string host, string app, string appPath)
    {
        var full = Names.BackupFull(host, app);
        var cronJob = Names.Backup(host, app);
        if (full.Length > Names.CronJobMax)
            failures.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.CronJobNameShortened, appPath + ".name",
                $"the CronJob name `{full}` has {full.Length} characters (at most {Names.CronJobMax}); it becomes `{cronJob}`"));
        foreach (var name in new[] { cronJob, Names.Mirror(host, app) })
        {
            if (derived.TryGetValue(name, out var other))
                failures.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.DerivedNameCollision, appPath + ".name",
                    $"host {host} / app {app} derives the object name `{name}`, which {other} derives too"));
            else
                derived[name] = $"host {host} / app {app} ({appPath})";
        }
    }

    private static void Label(List<ValidationFailure> failures, string path, string name)
    {
        if (KubernetesNames.WhyNotLabel(name) is { } why)
            failures.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.NameInvalid, path, $"`{LookAlikeText.Visible(name)}` is not a DNS-1123 label: {why}",
                $"did you mean `{KubernetesNames.Suggest(name)}`?"));
    }

    private static void Subdomain(List<ValidationFailure> failures, string path, string name)
    {
        if (KubernetesNames.WhyNotSubdomain(name) is { } why)
            failures.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.NameInvalid, path, $"`{LookAlikeText.Visible(name)}` is not a valid Kubernetes object name: {why}",
                $"did you mean `{KubernetesNames.Suggest(name)}`?"));
    }

    private static void Unique(List<ValidationFailure> failures, Dictionary<string, string> seen, string name, string path, string what)
    {
        if (seen.TryGetValue(name, out var first))
            failures.Add(ValidatorAdapter.Failure(DiagnosticCatalogue.DuplicateName, path, $"{what} `{name}` is already defined at {first}", "rename one of them"));
        else
            seen[name] = path;
    }
}
