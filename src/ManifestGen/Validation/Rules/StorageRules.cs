using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Validation.Rules;

/// <summary>
/// MG0504-MG0513: the repository volume. NFS server set, paths absolute and normalised, the repository
/// directory under the export root (the Job that creates it mounts the export root), mount options from
/// the allow-list; a local volume names its node; access modes valid; sizes are quantities.
/// </summary>
public sealed class StorageRule : InventoryRule
{
    private static readonly string[] AccessModes = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var repo = inventory.Model.Repository;
        QuantityRule.Size(sink, "repository.capacity", repo.Capacity);
        QuantityRule.Size(sink, "repository.cacheSize", repo.CacheSize);
        for (int i = 0; i < repo.AccessModes.Length; i++)
        {
            var mode = repo.AccessModes[i];
            var path = $"repository.accessModes[{i}]";
            if (!AccessModes.Contains(mode))
            {
                var suggestion = AccessModes.FirstOrDefault(m => string.Equals(m, mode, StringComparison.OrdinalIgnoreCase))
                    ?? AccessModes.FirstOrDefault(m => m.Where(char.IsUpper).Aggregate("", (s, c) => s + c) == mode.ToUpperInvariant());
                sink.Report(DiagnosticCatalogue.AccessModeInvalid, path, $"`{mode}` is not an access mode ({string.Join(", ", AccessModes)})",
                    suggestion is null ? null : $"did you mean `{suggestion}`?");
            }
            else if (mode == "ReadWriteOncePod")
                sink.Report(DiagnosticCatalogue.AccessModeSingleWriter, path, "only one pod at a time can mount the repository; the other jobs wait and miss their runs");
        }
        if (repo.AccessModes.Length == 0)
            sink.Report(DiagnosticCatalogue.AccessModeInvalid, "repository.accessModes", "no access mode; a volume needs at least one", "use `[ReadWriteMany]`");

        if (repo.Storage.Nfs is { } nfs)
            Nfs(sink, nfs);
        if (repo.Storage.Local is { } local)
        {
            if (PosixPath.WhyNotAbsoluteNormalised(local.Path) is { } why)
                sink.Report(DiagnosticCatalogue.PathNotAbsolute, "repository.storage.local.path", $"`{local.Path}`: {why}", PathHint(local.Path));
            if (string.IsNullOrWhiteSpace(local.Node))
                sink.Report(DiagnosticCatalogue.LocalVolumeWithoutNode, "repository.storage.local.node", "a local volume needs the node it lives on");
            else if (KubernetesNames.WhyNotSubdomain(local.Node) is { } whyNode)
                sink.Report(DiagnosticCatalogue.NameInvalid, "repository.storage.local.node", $"`{local.Node}` is not a node name: {whyNode}");
        }
    }

    private static void Nfs(RuleSink sink, NfsStorageSpec nfs)
    {
        const string at = "repository.storage.nfs";
        if (string.IsNullOrWhiteSpace(nfs.Server))
            sink.Report(DiagnosticCatalogue.NfsServerMissing, at + ".server", "the NFS server is empty");
        else if (!HostNames.IsHostOrAddress(nfs.Server))
            sink.Report(DiagnosticCatalogue.NfsServerMissing, at + ".server", $"`{nfs.Server}` is not a host name or IP address",
                "write only the server (`nas01.example.org`); the directory goes into `exportRoot` and `path`");

        var rootWhy = PosixPath.WhyNotAbsoluteNormalised(nfs.ExportRoot);
        if (rootWhy is not null)
            sink.Report(DiagnosticCatalogue.NfsPathInvalid, at + ".exportRoot", $"`{nfs.ExportRoot}`: {rootWhy}", PathHint(nfs.ExportRoot));
        var pathWhy = PosixPath.WhyNotAbsoluteNormalised(nfs.Path);
        if (pathWhy is not null)
            sink.Report(DiagnosticCatalogue.NfsPathInvalid, at + ".path", $"`{nfs.Path}`: {pathWhy}", PathHint(nfs.Path));
        if (rootWhy is null && nfs.Path.Length > 0 && nfs.Path[0] == '/' && !PosixPath.IsSameOrUnder(nfs.Path, nfs.ExportRoot))
            sink.Report(DiagnosticCatalogue.NfsPathOutsideExport, at + ".path",
                $"`{nfs.Path}` is not under the export root `{nfs.ExportRoot}`: the directory cannot be created and the volume fails to mount (No such file or directory)",
                $"use a path below the export root, for example `{nfs.ExportRoot.TrimEnd('/')}/{nfs.Path.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "restic"}`");
        else if (pathWhy is null && nfs.Path.Length > 0 && nfs.Path[0] != '/')
            sink.Report(DiagnosticCatalogue.NfsPathOutsideExport, at + ".path", $"`{nfs.Path}` is relative; the repository path is absolute and under `{nfs.ExportRoot}`");

        for (int i = 0; i < nfs.MountOptions.Length; i++)
            foreach (var option in nfs.MountOptions[i].Split(','))
                if (NfsMountOptions.WhyNotAllowed(option) is { } why)
                    sink.ReportInValue(DiagnosticCatalogue.NfsMountOptionNotAllowed, $"{at}.mountOptions[{i}]", option.Trim(), why);
        var versions = nfs.MountOptions.SelectMany(o => o.Split(',')).Count(o => o.Trim().StartsWith("nfsvers=", StringComparison.Ordinal) || o.Trim().StartsWith("vers=", StringComparison.Ordinal));
        if (versions > 1)
            sink.Report(DiagnosticCatalogue.NfsMountOptionNotAllowed, at + ".mountOptions", "the NFS version is given more than once");
    }

    internal static string PathHint(string path) => $"write `{PosixPath.Normalise(path)}`";
}

/// <summary>MG0505, MG0512, MG0514: sizes and resources are Kubernetes quantities; requests do not exceed limits.</summary>
public sealed class QuantityRule : InventoryRule
{
    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var model = inventory.Model;
        Size(sink, "defaults.mirrorSize", model.Defaults.MirrorSize);
        Resources(sink, "defaults.resources", model.Defaults.Resources);
        Resources(sink, "maintenance.forget.resources", model.Maintenance.Forget.Resources);
        Resources(sink, "maintenance.check.resources", model.Maintenance.Check.Resources);
        for (int h = 0; h < model.Hosts.Length; h++)
            for (int a = 0; a < model.Hosts[h].Apps.Length; a++)
            {
                var app = model.Hosts[h].Apps[a];
                if (app.MirrorSize is { } size)
                    Size(sink, $"hosts[{h}].apps[{a}].mirrorSize", size);
                Resources(sink, $"hosts[{h}].apps[{a}].resources", app.Resources);
            }
    }

    internal static Quantity? Size(RuleSink sink, string path, string text)
    {
        if (!Quantity.TryParse(text, out var quantity, out var why))
        {
            sink.Report(DiagnosticCatalogue.QuantityInvalid, path, $"`{text}`: {why}", Suggest(text));
            return null;
        }
        if (quantity!.Value <= 0)
            sink.Report(DiagnosticCatalogue.QuantityInvalid, path, $"`{text}`: a size must be positive");
        else if (quantity.DecimalSuffix)
            sink.Report(DiagnosticCatalogue.QuantityDecimalUnit, path, $"`{text}` is {Quantity.Describe(quantity.Value)}, not {text}i", $"write `{text}i` if you mean binary units");
        return quantity;
    }

    private static void Resources(RuleSink sink, string path, ResourcesSpec? resources)
    {
        if (resources is null)
            return;
        foreach (var (key, request, limit) in new[]
                 {
                     ("cpu", resources.Requests?.Cpu, resources.Limits?.Cpu),
                     ("memory", resources.Requests?.Memory, resources.Limits?.Memory),
                     ("ephemeralStorage", resources.Requests?.EphemeralStorage, resources.Limits?.EphemeralStorage),
                 })
        {
            var r = request is null ? null : Amount(sink, $"{path}.requests.{key}", request);
            var l = limit is null ? null : Amount(sink, $"{path}.limits.{key}", limit);
            if (r is not null && l is not null && r.Value > l.Value)
                sink.Report(DiagnosticCatalogue.RequestAboveLimit, $"{path}.requests.{key}", $"the request `{request}` is above the limit `{limit}`");
        }
    }

    private static Quantity? Amount(RuleSink sink, string path, string text)
    {
        if (Quantity.TryParse(text, out var quantity, out var why) && quantity!.Value >= 0)
            return quantity;
        sink.Report(DiagnosticCatalogue.QuantityInvalid, path, $"`{text}`: {why ?? "it is negative"}", Suggest(text));
        return null;
    }

    private static string? Suggest(string text)
    {
        var t = text.Replace(" ", "", StringComparison.Ordinal);
        foreach (var (wrong, right) in new[] { ("KB", "Ki"), ("MB", "Mi"), ("GB", "Gi"), ("TB", "Ti"), ("kb", "Ki"), ("mb", "Mi"), ("gb", "Gi"), ("tb", "Ti"), ("ki", "Ki"), ("mi", "Mi"), ("gi", "Gi"), ("ti", "Ti"), ("KiB", "Ki"), ("MiB", "Mi"), ("GiB", "Gi"), ("TiB", "Ti") })
            if (t.EndsWith(wrong, StringComparison.Ordinal) && Quantity.TryParse(t[..^wrong.Length] + right, out _, out _))
                return $"did you mean `{t[..^wrong.Length] + right}`?";
        return null;
    }
}
