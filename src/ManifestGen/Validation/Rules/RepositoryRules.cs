using System.Collections.Immutable;
using FluentValidation;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Validation.Rules;

/// <summary>
/// MG0605: the pushgateway URL is an absolute http(s) URL, as the runner requires (its own check). MG0609:
/// the ping URL Secret has one shared key or one key per job, not both.
/// </summary>
internal sealed class ReportingValidator : AbstractValidator<ReportingSpec>
{
    public ReportingValidator()
    {
        RuleFor(r => r.PushgatewayUrl).Must(url => url is null || JobConfigRules.WhyNotHttpUrl(url) is null)
            .OverridePropertyName("pushgatewayUrl").Code(DiagnosticCatalogue.PushgatewayUrlInvalid)
            .WithMessage(r => $"`{r.PushgatewayUrl}` {JobConfigRules.WhyNotHttpUrl(r.PushgatewayUrl!)}");
        RuleFor(r => r.PingUrlSecret).Must(ping => ping is not { PerJob: true, Key: not null })
            .OverridePropertyName("pingUrlSecret.key").Code(DiagnosticCatalogue.PingKeyWithPerJob)
            .WithMessage(r => $"`key: {r.PingUrlSecret!.Key}` names one URL for every backup and drill, but `perJob: true` reads a key per job (named like the job)");
    }
}

/// <summary>MG0605, MG0609: the pushgateway URL and the ping URL Secret.</summary>
public sealed class ReportingRule : InventoryRule
{
    private static readonly ReportingValidator Validator = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink) =>
        sink.Validate(Validator, inventory.Model.Reporting, "reporting");
}

/// <summary>
/// MG0601, MG0604: one retention policy keeps something, with positive counts (or -1) and a restic duration.
/// </summary>
internal sealed class RetentionPolicyValidator : AbstractValidator<RetentionSpec>
{
    public RetentionPolicyValidator()
    {
        RuleFor(r => r).Custom((retention, context) =>
        {
            foreach (var (key, value) in Counts(retention))
                if (value is { } n && n is 0 or < -1)
                    context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.KeepValueInvalid, key, $"keep count {n} is not a positive number (or -1 for unlimited)"));
            if (Counts(retention).All(c => c.Value is null or 0) && string.IsNullOrEmpty(retention.Within))
                context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.NoKeepRule, "", retention.Tags.IsEmpty
                    ? "no keep rule (last, hourly, daily, weekly, monthly, yearly or within)"
                    : "only keep-tags: every snapshot without those tags would be forgotten", atKey: true));
        });
        RuleFor(r => r.Within).Must(w => w is null || ResticSyntax.WhyNotDuration(w) is null)
            .OverridePropertyName("within").Code(DiagnosticCatalogue.KeepValueInvalid)
            .WithMessage(r => $"`{r.Within}`: {ResticSyntax.WhyNotDuration(r.Within!)}");
    }

    private static (string Key, int? Value)[] Counts(RetentionSpec r) =>
    [
        ("last", r.Last), ("hourly", r.Hourly), ("daily", r.Daily),
        ("weekly", r.Weekly), ("monthly", r.Monthly), ("yearly", r.Yearly),
    ];
}

/// <summary>
/// MG0601-MG0604: retention policies keep something, keep-tags are set by the apps they apply to
/// (restic would forget every snapshot otherwise), counts and durations are valid, and the check
/// job's read-data subset is one restic accepts.
/// </summary>
public sealed class RetentionRule : InventoryRule
{
    private static readonly RetentionPolicyValidator Policy = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var model = inventory.Model;
        var map = inventory.SourceMap;
        var checkedPolicies = new HashSet<string>(StringComparer.Ordinal);
        foreach (var app in InventoryResolution.Apps(model))
        {
            var path = app.PathOf("retention", map);
            if (checkedPolicies.Add(path))
                sink.Validate(Policy, app.Retention, path);
            // Retention runs per app group (--host, --tag app=NAME); a keep-tag only matches tags the runner
            // sets on that app's snapshots (its files or tar stream, each dump), read from the runner's own list.
            var saved = SnapshotTags.Saved(app.App.Name, app.App.Tags, app.Strategy, app.App.Hooks.Dumps.Select(d => d.Name)).ToList();
            for (int t = 0; t < app.Retention.Tags.Length; t++)
            {
                var tag = app.Retention.Tags[t];
                if (!SnapshotTags.IsSet(tag, saved))
                    sink.Report(DiagnosticCatalogue.KeepTagNotSet, $"{path}.tags[{t}]",
                        $"keep-tag `{tag}` is not set by the backup of {app.Host.Name}/{app.App.Name}: `forget --keep-tag {tag}` would keep nothing of it",
                        $"add `{tag}` to {app.Path}.tags, or remove it here");
            }
        }
        if (model.Maintenance.Check.ReadDataSubset is { } subset && ResticSyntax.WhyNotReadDataSubset(subset) is { } why)
            sink.Report(DiagnosticCatalogue.ReadDataSubsetInvalid, "maintenance.check.readDataSubset", $"`{subset}`: {why}");
    }
}

/// <summary>MG0204: in sealed or external mode, every Secret the jobs reference is provided.</summary>
public sealed partial class SecretProvisioningRule : InventoryRule
{
    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var model = inventory.Model;
        var needed = new List<(string Name, string Key, string Path)>
        {
            (model.Repository.PasswordSecret.Name, model.Repository.PasswordSecret.Key, "repository.passwordSecret"),
        };
        for (int h = 0; h < model.Hosts.Length; h++)
            needed.Add((model.Hosts[h].SshKeySecret.Name, "ssh-privatekey", $"hosts[{h}].sshKeySecret"));
        if (model.Repository.Server is { } server)
        {
            needed.Add((server.HtpasswdSecret.Name, ManifestGen.Contracts.PodPaths.HtpasswdKey, "repository.server.htpasswdSecret"));
            for (int h = 0; h < model.Hosts.Length; h++)
                needed.Add((ManifestGen.Planning.Names.RestCredentials(model.Repository.Name, model.Hosts[h].Name),
                    ManifestGen.Contracts.PodPaths.RestPasswordKey, "repository.server"));
        }
        for (int c = 0; c < model.Repository.Copies.Length; c++)
            foreach (var (name, key, path) in CopySecrets(model.Repository.Copies[c]))
                needed.Add((name, key, $"repository.copies[{c}].credentials.{path}"));
        switch (model.Secrets.Mode)
        {
            case SecretsMode.Sealed:
                var data = model.Secrets.Sealed?.EncryptedData;
                foreach (var (name, key, path) in needed.Distinct())
                    if (data is null || !data.TryGetValue(name, out var keys) || !keys.ContainsKey(key))
                        sink.Report(DiagnosticCatalogue.SecretNotProvided, path,
                            $"Secret `{name}` key `{key}` is not in secrets.sealed.encryptedData", $"add secrets.sealed.encryptedData.{name}.{key} (kubeseal output)");
                break;
            case SecretsMode.External:
                if (model.Secrets.External is not { } external)
                {
                    sink.ReportKey(DiagnosticCatalogue.SecretNotProvided, "secrets.mode", "mode `external` needs `secrets.external` (storeName and remoteRefs)");
                    break;
                }
                foreach (var (name, key, path) in needed.Distinct())
                    if (!external.RemoteRefs.TryGetValue(name, out var refs) || !refs.ContainsKey(key))
                        sink.Report(DiagnosticCatalogue.SecretNotProvided, path,
                            $"Secret `{name}` key `{key}` has no remote reference in secrets.external.remoteRefs", $"add secrets.external.remoteRefs.{name}.{key}");
                break;
        }
    }
}

public sealed partial class SecretProvisioningRule
{
    /// <summary>The Secret keys a copy's pods mount: its password, and its access credential (REST user and password, or S3 keys).</summary>
    public static IEnumerable<(string Name, string Key, string Path)> CopySecrets(RepositoryCopySpec copy)
    {
        var (password, access) = (copy.Credentials.PasswordSecret, copy.Credentials.AccessSecret.Name);
        yield return (password.Name, password.Key, "passwordSecret");
        foreach (var key in copy.Location.S3 is null ? PodPaths.CopyRestKeys : PodPaths.CopyS3Keys)
            yield return (access, key, "accessSecret");
    }
}

/// <summary>MG0801-MG0805: the runner image is a valid reference, pinned by tag and best by digest.</summary>
internal sealed class ImageValidator : AbstractValidator<ImageSpec>
{
    public ImageValidator()
    {
        RuleFor(i => i.Repository).Custom((repository, context) =>
        {
            if (!ImageReference.TryParse(repository, out var reference, out var why))
                context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.ImageReferenceInvalid, "repository", $"`{repository}`: {why}"));
            else if (reference!.Tag is not null || reference.Digest is not null)
                context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.ImageReferenceInvalid, "repository",
                    $"`{repository}` contains a tag or digest; they have their own fields", "move it to `image.tag` / `image.digest`"));
        });
        RuleFor(i => i.Tag).Must(tag => tag is null || ImageReference.IsValidTag(tag))
            .OverridePropertyName("tag").Code(DiagnosticCatalogue.ImageReferenceInvalid)
            .WithMessage(i => $"`{i.Tag}` is not a valid tag (letters, digits, '_', '.', '-', at most 128)");
        RuleFor(i => i.Digest).Must(digest => digest is null || ImageReference.IsValidDigest(digest))
            .OverridePropertyName("digest").Code(DiagnosticCatalogue.ImageReferenceInvalid)
            .WithMessage(i => $"`{i.Digest}` is not `sha256:` followed by 64 lower-case hex digits");
        RuleFor(i => i).Custom((image, context) =>
        {
            if (image.Digest is not null)
                return;
            context.AddFailure(image.Tag is null
                ? ValidatorAdapter.Failure(DiagnosticCatalogue.ImageNoTag, "", "the runner image has neither tag nor digest, which means `latest`", atKey: true)
                : image.Tag == "latest"
                    ? ValidatorAdapter.Failure(DiagnosticCatalogue.ImageLatest, "tag", "the runner image is `latest`")
                    : ValidatorAdapter.Failure(DiagnosticCatalogue.ImageNoDigest, "", $"the runner image `{image.Repository}:{image.Tag}` is pinned by tag only", atKey: true));
        });
        RuleFor(i => i.PullPolicy).Must(policy => policy is "Always" or "IfNotPresent" or "Never")
            .OverridePropertyName("pullPolicy").Code(DiagnosticCatalogue.ImagePullPolicyInvalid)
            .WithMessage(i => $"`{i.PullPolicy}` is not Always, IfNotPresent or Never");
    }
}

/// <summary>MG0801-MG0805: the runner image.</summary>
public sealed class ImageRule : InventoryRule
{
    private static readonly ImageValidator Validator = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink) =>
        sink.Validate(Validator, inventory.Model.Image, "image");
}
