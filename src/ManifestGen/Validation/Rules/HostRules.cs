using FluentValidation;
using FluentValidation.Results;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Validation.Rules;

/// <summary>
/// The field rules of one host, declared with FluentValidation: each failure carries the rule code as its
/// error code and the YAML key as its property name; <see cref="ValidatorAdapter"/> maps it onto a diagnostic.
/// </summary>
internal sealed class HostValidator : AbstractValidator<HostSpec>
{
    public HostValidator()
    {
        RuleFor(h => h.Port).InclusiveBetween(1, 65535).OverridePropertyName("port")
            .WithErrorCode(DiagnosticCatalogue.PortOutOfRange.Code)
            .WithMessage(h => $"port {h.Port} is outside 1-65535");
        RuleFor(h => h.Address).Must(HostNames.IsHostOrAddress).OverridePropertyName("address")
            .WithErrorCode(DiagnosticCatalogue.HostAddressInvalid.Code)
            .WithMessage(h => $"`{h.Address}` is not a host name or IP address");
        RuleFor(h => h.User).NotEqual("root").OverridePropertyName("user")
            .WithErrorCode(DiagnosticCatalogue.UserRoot.Code)
            .WithMessage("the backup logs in as root");
        RuleFor(h => h.User).Must(u => u.Length > 0 && !u.Any(char.IsWhiteSpace) && !u.Contains('@')).OverridePropertyName("user")
            .WithErrorCode(DiagnosticCatalogue.HostAddressInvalid.Code)
            .WithMessage(h => $"`{h.User}` is not a user name (no spaces, no `@host`)");
        RuleFor(h => h.HostKeys).NotEmpty().OverridePropertyName("hostKeys")
            .WithErrorCode(DiagnosticCatalogue.HostKeyMissing.Code).AtKey()
            .WithMessage(h => $"no pinned host key for {h.Name}; jobs would refuse to connect (StrictHostKeyChecking=yes)");
        RuleForEach(h => h.HostKeys).Custom((line, context) =>
        {
            var key = "hostKeys" + context.PropertyPath[context.PropertyPath.IndexOf('[', StringComparison.Ordinal)..];
            if (!SshPublicKey.TryParse(line, out var parsed, out var why))
                context.AddFailure(new ValidationFailure(key, $"not an SSH public key: {why}") { ErrorCode = DiagnosticCatalogue.HostKeyMalformed.Code });
            else if (parsed!.IsWeak)
                context.AddFailure(new ValidationFailure(key, $"`{parsed.Type}` ({parsed.Bits} bits) is weak") { ErrorCode = DiagnosticCatalogue.HostKeyWeak.Code });
        });
    }
}

/// <summary>MG0701-MG0714: hosts (port, address, user, host keys) and the paths, excludes and strategy of their apps.</summary>
public sealed class HostRule : InventoryRule
{
    private static readonly HostValidator Validator = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var model = inventory.Model;
        for (int h = 0; h < model.Hosts.Length; h++)
        {
            var host = model.Hosts[h];
            var hostPath = $"hosts[{h}]";
            sink.Validate(Validator, host, hostPath);
            Apps(sink, host, hostPath, model.Defaults.Strategy);
        }
    }

    private static void Apps(RuleSink sink, HostSpec host, string hostPath, TransferStrategy defaultStrategy)
    {
        var owners = new List<(string Path, string Value, string App)>();
        for (int a = 0; a < host.Apps.Length; a++)
        {
            var app = host.Apps[a];
            var appPath = $"{hostPath}.apps[{a}]";
            if (app.Paths.Length == 0)
                sink.ReportKey(DiagnosticCatalogue.PathNotAbsolute, appPath + ".paths", "no path to back up");
            for (int p = 0; p < app.Paths.Length; p++)
            {
                var path = app.Paths[p];
                var at = $"{appPath}.paths[{p}]";
                if (PosixPath.WhyNotAbsoluteNormalised(path) is { } why)
                {
                    sink.Report(DiagnosticCatalogue.PathNotAbsolute, at, $"`{path}`: {why}", StorageRule.PathHint(path));
                    continue;
                }
                foreach (var other in owners.Where(o => PosixPath.Overlap(o.Value, path)))
                {
                    var relation = other.Value == path ? "the same path as" : PosixPath.IsSameOrUnder(path, other.Value) ? "inside the path of" : "a parent of the path of";
                    var message = other.App == app.Name
                        ? $"`{path}` is {relation} {other.Path} of the same app"
                        : $"`{path}` is {relation} app {other.App} ({other.Path}) on host {host.Name}";
                    sink.Report(DiagnosticCatalogue.SamePathTwoApps, at, message);
                }
                owners.Add((at, path, app.Name));
            }
            for (int e = 0; e < app.Excludes.Length; e++)
            {
                var pattern = app.Excludes[e];
                var at = $"{appPath}.excludes[{e}]";
                if (ExcludePattern.WhyInvalid(pattern) is { } why)
                    sink.Report(DiagnosticCatalogue.ExcludeInvalid, at, $"`{pattern}`: {why}");
                else if (pattern.StartsWith('/') && !app.Paths.Any(p => PosixPath.IsSameOrUnder(LiteralPrefix(pattern), p) || PosixPath.IsSameOrUnder(p, LiteralPrefix(pattern))))
                    sink.Report(DiagnosticCatalogue.ExcludeNeverMatches, at, $"`{pattern}` is not under any of the app's paths ({string.Join(", ", app.Paths)})");
            }
            if (app.Hooks.ComposeDirectory is { } compose && PosixPath.WhyNotAbsoluteNormalised(compose) is { } composeWhy)
                sink.Report(DiagnosticCatalogue.PathNotAbsolute, appPath + ".hooks.composeDirectory", $"`{compose}`: {composeWhy}", StorageRule.PathHint(compose));

            var strategy = app.Strategy ?? defaultStrategy;
            if (strategy == TransferStrategy.Sshfs && !app.Privileged)
                sink.ReportKey(DiagnosticCatalogue.SshfsNeedsPrivileged, appPath + (app.Strategy is null ? "" : ".strategy"),
                    $"app {app.Name} uses sshfs without `privileged: true`: the mount works only where the cluster gives pods /dev/fuse");
            if (strategy == TransferStrategy.Sshfs)
                sink.ReportKey(DiagnosticCatalogue.SshfsOutsideRestricted, appPath + (app.Strategy is null ? "" : ".strategy"),
                    $"app {app.Name} uses sshfs: its pod runs in its own namespace outside Pod Security restricted " +
                    (app.Privileged ? "as a privileged container (every capability and device of the node)" : "with SYS_ADMIN, privilege escalation (setuid fusermount3) and no AppArmor confinement"));
            if (strategy != TransferStrategy.Sshfs && app.Privileged)
                sink.Report(DiagnosticCatalogue.PrivilegedWithoutSshfs, appPath + ".privileged",
                    $"app {app.Name} uses {strategy.ToString().ToLowerInvariant()}, which does not need a privileged pod");
        }
    }

    // The directory part of a pattern before its first wildcard: /srv/app/data/*/cache -> /srv/app/data.
    private static string LiteralPrefix(string pattern)
    {
        var wildcard = pattern.IndexOfAny(['*', '?', '[', '\\']);
        var literal = wildcard < 0 ? pattern : pattern[..wildcard];
        var slash = literal.LastIndexOf('/');
        return wildcard < 0 ? PosixPath.Normalise(literal) : PosixPath.Normalise(slash <= 0 ? "/" : literal[..slash]);
    }
}
