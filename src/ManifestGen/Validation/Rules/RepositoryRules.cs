using ManifestGen.Contracts;
using System.Collections.Immutable;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Validation.Rules;

/// <summary>MG0605: the pushgateway URL is an absolute http(s) URL, as the runner requires.</summary>
public sealed class ReportingRule : InventoryRule
{
    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        if (inventory.Model.Reporting.PushgatewayUrl is not { } url) return;
        if (ManifestGen.Contracts.JobConfigRules.WhyNotHttpUrl(url) is { } why)
            sink.Report(DiagnosticCatalogue.PushgatewayUrlInvalid, "reporting.pushgatewayUrl", $"`{url}` {why}");
    }
}

/// <summary>
/// MG0601-MG0604: retention policies keep something, keep-tags are set by the apps they apply to
/// (restic would forget every snapshot otherwise), counts and durations are valid, and the check
/// job's read-data subset is one restic accepts.
/// </summary>
public sealed class RetentionRule : InventoryRule
{
    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var model = inventory.Model;
        var map = inventory.SourceMap;
        var checkedPolicies = new HashSet<string>(StringComparer.Ordinal);
        foreach (var app in InventoryResolution.Apps(model))
        {
            var path = app.PathOf("retention", map);
            if (checkedPolicies.Add(path))
                Policy(sink, path, app.Retention);
            // Retention runs per app group (--host, --tag app=NAME); a keep-tag only matches that app's tags.
            var appTags = app.App.Tags.Append($"app={app.App.Name}").ToImmutableHashSet(StringComparer.Ordinal);
            for (int t = 0; t < app.Retention.Tags.Length; t++)
            {
                var tag = app.Retention.Tags[t];
                if (!tag.Split(',').All(appTags.Contains))
                    sink.Report(DiagnosticCatalogue.KeepTagNotSet, $"{path}.tags[{t}]",
                        $"keep-tag `{tag}` is not set by the backup of {app.Host.Name}/{app.App.Name}: `forget --keep-tag {tag}` would keep nothing of it",
                        $"add `{tag}` to {app.Path}.tags, or remove it here");
            }
        }
        if (model.Maintenance.Check.ReadDataSubset is { } subset && ResticSyntax.WhyNotReadDataSubset(subset) is { } why)
            sink.Report(DiagnosticCatalogue.ReadDataSubsetInvalid, "maintenance.check.readDataSubset", $"`{subset}`: {why}");
    }

    private static void Policy(RuleSink sink, string path, RetentionSpec retention)
    {
        var counts = new (string Key, int? Value)[]
        {
            ("last", retention.Last), ("hourly", retention.Hourly), ("daily", retention.Daily),
            ("weekly", retention.Weekly), ("monthly", retention.Monthly), ("yearly", retention.Yearly),
        };
        foreach (var (key, value) in counts)
            if (value is { } n && n is 0 or < -1)
                sink.Report(DiagnosticCatalogue.KeepValueInvalid, $"{path}.{key}", $"keep count {n} is not a positive number (or -1 for unlimited)");
        if (retention.Within is { } within && ResticSyntax.WhyNotDuration(within) is { } why)
            sink.Report(DiagnosticCatalogue.KeepValueInvalid, $"{path}.within", $"`{within}`: {why}");
        if (counts.All(c => c.Value is null or 0) && string.IsNullOrEmpty(retention.Within))
            sink.ReportKey(DiagnosticCatalogue.NoKeepRule, path, retention.Tags.IsEmpty
                ? "no keep rule (last, hourly, daily, weekly, monthly, yearly or within)"
                : "only keep-tags: every snapshot without those tags would be forgotten");
    }
}

/// <summary>MG0204: in sealed or external mode, every Secret the jobs reference is provided.</summary>
public sealed class SecretProvisioningRule : InventoryRule
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

/// <summary>MG0801-MG0805: the runner image is a valid reference, pinned by tag and best by digest.</summary>
public sealed class ImageRule : InventoryRule
{
    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var image = inventory.Model.Image;
        if (!ImageReference.TryParse(image.Repository, out var reference, out var why))
            sink.Report(DiagnosticCatalogue.ImageReferenceInvalid, "image.repository", $"`{image.Repository}`: {why}");
        else if (reference!.Tag is not null || reference.Digest is not null)
            sink.Report(DiagnosticCatalogue.ImageReferenceInvalid, "image.repository",
                $"`{image.Repository}` contains a tag or digest; they have their own fields", "move it to `image.tag` / `image.digest`");
        if (image.Tag is { } tag && !ImageReference.IsValidTag(tag))
            sink.Report(DiagnosticCatalogue.ImageReferenceInvalid, "image.tag", $"`{tag}` is not a valid tag (letters, digits, '_', '.', '-', at most 128)");
        if (image.Digest is { } digest && !ImageReference.IsValidDigest(digest))
            sink.Report(DiagnosticCatalogue.ImageReferenceInvalid, "image.digest", $"`{digest}` is not `sha256:` followed by 64 lower-case hex digits");
        if (image.Digest is null)
        {
            if (image.Tag is null)
                sink.ReportKey(DiagnosticCatalogue.ImageNoTag, "image", "the runner image has neither tag nor digest, which means `latest`");
            else if (image.Tag == "latest")
                sink.Report(DiagnosticCatalogue.ImageLatest, "image.tag", "the runner image is `latest`");
            else
                sink.ReportKey(DiagnosticCatalogue.ImageNoDigest, "image", $"the runner image `{image.Repository}:{image.Tag}` is pinned by tag only");
        }
        if (image.PullPolicy is not ("Always" or "IfNotPresent" or "Never"))
            sink.Report(DiagnosticCatalogue.ImagePullPolicyInvalid, "image.pullPolicy", $"`{image.PullPolicy}` is not Always, IfNotPresent or Never");
    }
}
