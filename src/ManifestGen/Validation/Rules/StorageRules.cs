using FluentValidation;
using FluentValidation.Results;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Validation.Rules;

/// <summary>
/// MG0504-MG0513: the repository volume. NFS server set, paths absolute and normalised, the repository
/// directory under the export root (the Job that creates it mounts the export root), mount options from
/// the allow-list; a local volume names its node; access modes valid; sizes are quantities.
/// </summary>
internal sealed class StorageValidator : AbstractValidator<RepositorySpec>
{
    private static readonly string[] AccessModes = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];

    public StorageValidator()
    {
        RuleFor(r => r).Custom((repo, context) =>
        {
            foreach (var failure in QuantityRule.SizeFailures("capacity", repo.Capacity).Concat(QuantityRule.SizeFailures("cacheSize", repo.CacheSize)))
                context.AddFailure(failure);
        });
        RuleForEach(r => r.AccessModes).Custom((mode, context) =>
        {
            var key = "accessModes" + context.PropertyPath[context.PropertyPath.IndexOf('[', StringComparison.Ordinal)..];
            if (!AccessModes.Contains(mode))
            {
                var suggestion = AccessModes.FirstOrDefault(m => string.Equals(m, mode, StringComparison.OrdinalIgnoreCase))
                    ?? AccessModes.FirstOrDefault(m => m.Where(char.IsUpper).Aggregate("", (s, c) => s + c) == mode.ToUpperInvariant());
                context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.AccessModeInvalid, key, $"`{mode}` is not an access mode ({string.Join(", ", AccessModes)})",
                    suggestion is null ? null : $"did you mean `{suggestion}`?"));
            }
            else if (mode == "ReadWriteOncePod")
                context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.AccessModeSingleWriter, key, "only one pod at a time can mount the repository; the other jobs wait and miss their runs"));
        });
        RuleFor(r => r.AccessModes).NotEmpty().OverridePropertyName("accessModes").Code(DiagnosticCatalogue.AccessModeInvalid)
            .WithMessage("no access mode; a volume needs at least one").WithState(_ => new FailurePlacement(Hint: "use `[ReadWriteMany]`"));
        RuleFor(r => r.Storage.Nfs).Custom((nfs, context) =>
        {
            if (nfs is not null)
                foreach (var failure in Nfs(nfs))
                    context.AddFailure(failure);
        });
        RuleFor(r => r.Storage.Local).Custom((local, context) =>
        {
            if (local is null)
                return;
            if (PosixPath.WhyNotAbsoluteNormalised(local.Path) is { } why)
                context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.PathNotAbsolute, "storage.local.path", $"`{local.Path}`: {why}", StorageRule.PathHint(local.Path)));
            if (string.IsNullOrWhiteSpace(local.Node))
                context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.LocalVolumeWithoutNode, "storage.local.node", "a local volume needs the node it lives on"));
            else if (KubernetesNames.WhyNotSubdomain(local.Node) is { } whyNode)
                context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.NameInvalid, "storage.local.node", $"`{local.Node}` is not a node name: {whyNode}"));
        });
    }

    private static IEnumerable<ValidationFailure> Nfs(NfsStorageSpec nfs)
    {
        const string at = "storage.nfs";
        if (string.IsNullOrWhiteSpace(nfs.Server))
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.NfsServerMissing, at + ".server", "the NFS server is empty");
        else if (!HostNames.IsHostOrAddress(nfs.Server))
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.NfsServerMissing, at + ".server", $"`{nfs.Server}` is not a host name or IP address",
                "write only the server (`nas01.example.org`); the directory goes into `exportRoot` and `path`");

        var rootWhy = PosixPath.WhyNotAbsoluteNormalised(nfs.ExportRoot);
        if (rootWhy is not null)
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.NfsPathInvalid, at + ".exportRoot", $"`{nfs.ExportRoot}`: {rootWhy}", StorageRule.PathHint(nfs.ExportRoot));
        var pathWhy = PosixPath.WhyNotAbsoluteNormalised(nfs.Path);
        if (pathWhy is not null)
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.NfsPathInvalid, at + ".path", $"`{nfs.Path}`: {pathWhy}", StorageRule.PathHint(nfs.Path));
        if (rootWhy is null && nfs.Path.Length > 0 && nfs.Path[0] == '/' && !PosixPath.IsSameOrUnder(nfs.Path, nfs.ExportRoot))
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.NfsPathOutsideExport, at + ".path",
                $"`{nfs.Path}` is not under the export root `{nfs.ExportRoot}`: the directory cannot be created and the volume fails to mount (No such file or directory)",
                $"use a path below the export root, for example `{nfs.ExportRoot.TrimEnd('/')}/{nfs.Path.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "restic"}`");
        else if (pathWhy is null && nfs.Path.Length > 0 && nfs.Path[0] != '/')
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.NfsPathOutsideExport, at + ".path", $"`{nfs.Path}` is relative; the repository path is absolute and under `{nfs.ExportRoot}`");

        for (int i = 0; i < nfs.MountOptions.Length; i++)
            foreach (var option in nfs.MountOptions[i].Split(','))
                if (NfsMountOptions.WhyNotAllowed(option) is { } why)
                    yield return ValidatorAdapter.Failure(DiagnosticCatalogue.NfsMountOptionNotAllowed, $"{at}.mountOptions[{i}]", why, fragment: option.Trim());
        var versions = nfs.MountOptions.SelectMany(o => o.Split(',')).Count(o => o.Trim().StartsWith("nfsvers=", StringComparison.Ordinal) || o.Trim().StartsWith("vers=", StringComparison.Ordinal));
        if (versions > 1)
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.NfsMountOptionNotAllowed, at + ".mountOptions", "the NFS version is given more than once");
    }
}

/// <summary>MG0504-MG0513: the repository volume (<see cref="StorageValidator"/>).</summary>
public sealed class StorageRule : InventoryRule
{
    private static readonly StorageValidator Validator = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink) =>
        sink.Validate(Validator, inventory.Model.Repository, "repository");

    internal static string PathHint(string path) => $"write `{PosixPath.Normalise(path)}`";
}

/// <summary>MG0505, MG0512, MG0514: sizes and resources are Kubernetes quantities; requests do not exceed limits.</summary>
internal sealed class QuantityValidator : AbstractValidator<InventorySpec>
{
    public QuantityValidator()
    {
        RuleFor(m => m).Custom((model, context) =>
        {
            foreach (var failure in Failures(model))
                context.AddFailure(failure);
        });
    }

    private static IEnumerable<ValidationFailure> Failures(InventorySpec model)
    {
        var failures = QuantityRule.SizeFailures("defaults.mirrorSize", model.Defaults.MirrorSize)
            .Concat(Resources("defaults.resources", model.Defaults.Resources))
            .Concat(Resources("maintenance.forget.resources", model.Maintenance.Forget.Resources))
            .Concat(Resources("maintenance.check.resources", model.Maintenance.Check.Resources));
        for (int h = 0; h < model.Hosts.Length; h++)
            for (int a = 0; a < model.Hosts[h].Apps.Length; a++)
            {
                var app = model.Hosts[h].Apps[a];
                if (app.MirrorSize is { } size)
                    failures = failures.Concat(QuantityRule.SizeFailures($"hosts[{h}].apps[{a}].mirrorSize", size));
                failures = failures.Concat(Resources($"hosts[{h}].apps[{a}].resources", app.Resources));
            }
        return failures;
    }

    private static IEnumerable<ValidationFailure> Resources(string path, ResourcesSpec? resources)
    {
        if (resources is null)
            yield break;
        foreach (var (key, request, limit) in new[]
                 {
                     ("cpu", resources.Requests?.Cpu, resources.Limits?.Cpu),
                     ("memory", resources.Requests?.Memory, resources.Limits?.Memory),
                     ("ephemeralStorage", resources.Requests?.EphemeralStorage, resources.Limits?.EphemeralStorage),
                 })
        {
            var (r, requestFailure) = request is null ? (null, null) : Amount($"{path}.requests.{key}", request);
            if (requestFailure is not null)
                yield return requestFailure;
            var (l, limitFailure) = limit is null ? (null, null) : Amount($"{path}.limits.{key}", limit);
            if (limitFailure is not null)
                yield return limitFailure;
            if (r is not null && l is not null && r.Value > l.Value)
                yield return ValidatorAdapter.Failure(DiagnosticCatalogue.RequestAboveLimit, $"{path}.requests.{key}", $"the request `{request}` is above the limit `{limit}`");
        }
    }

    private static (Quantity? Quantity, ValidationFailure? Failure) Amount(string path, string text)
    {
        if (Quantity.TryParse(text, out var quantity, out var why) && quantity!.Value >= 0)
            return (quantity, null);
        return (null, ValidatorAdapter.Failure(DiagnosticCatalogue.QuantityInvalid, path, $"`{text}`: {why ?? "it is negative"}", QuantityRule.Suggest(text)));
    }
}

/// <summary>MG0505, MG0512, MG0514: sizes and resources (<see cref="QuantityValidator"/>).</summary>
public sealed class QuantityRule : InventoryRule
{
    private static readonly QuantityValidator Validator = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink) =>
        sink.Validate(Validator, inventory.Model, "");

    /// <summary>A size is a positive quantity; a decimal suffix (G rather than Gi) is reported as likely meant binary.</summary>
    internal static IEnumerable<ValidationFailure> SizeFailures(string path, string text)
    {
        if (!Quantity.TryParse(text, out var quantity, out var why))
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.QuantityInvalid, path, $"`{text}`: {why}", Suggest(text));
        else if (quantity!.Value <= 0)
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.QuantityInvalid, path, $"`{text}`: a size must be positive");
        else if (quantity.DecimalSuffix)
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.QuantityDecimalUnit, path, $"`{text}` is {Quantity.Describe(quantity.Value)}, not {text}i", $"write `{text}i` if you mean binary units");
    }

    internal static string? Suggest(string text)
    {
        var t = text.Replace(" ", "", StringComparison.Ordinal);
        foreach (var (wrong, right) in new[] { ("KB", "Ki"), ("MB", "Mi"), ("GB", "Gi"), ("TB", "Ti"), ("kb", "Ki"), ("mb", "Mi"), ("gb", "Gi"), ("tb", "Ti"), ("ki", "Ki"), ("mi", "Mi"), ("gi", "Gi"), ("ti", "Ti"), ("KiB", "Ki"), ("MiB", "Mi"), ("GiB", "Gi"), ("TiB", "Ti") })
            if (t.EndsWith(wrong, StringComparison.Ordinal) && Quantity.TryParse(t[..^wrong.Length] + right, out _, out _))
                return $"did you mean `{t[..^wrong.Length] + right}`?";
        return null;
    }
}
