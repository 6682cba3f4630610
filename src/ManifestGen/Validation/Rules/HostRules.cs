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

/// <summary>One app of a host, with what its rules compare it to: the host's other apps and the default strategy.</summary>
internal sealed record HostApp(HostSpec Host, string HostPath, int Index, TransferStrategy DefaultStrategy)
{
    public AppSpec App => Host.Apps[Index];
}

/// <summary>
/// MG0702-MG0714 for one app: absolute paths that no other path of the host overlaps (earlier apps and
/// earlier paths own them), excludes that can match, the compose directory, and the strategy's privileges.
/// </summary>
internal sealed class AppValidator : AbstractValidator<HostApp>
{
    public AppValidator()
    {
        RuleFor(x => x.App.Paths).NotEmpty().OverridePropertyName("paths")
            .Code(DiagnosticCatalogue.PathNotAbsolute).AtKey().WithMessage("no path to back up");
        RuleFor(x => x).Custom((x, context) =>
        {
            var owners = EarlierPaths(x);
            var app = x.App;
            var appPath = $"{x.HostPath}.apps[{x.Index}]";
            for (int p = 0; p < app.Paths.Length; p++)
            {
                var path = app.Paths[p];
                var key = $"paths[{p}]";
                if (PosixPath.WhyNotAbsoluteNormalised(path) is { } why)
                {
                    context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.PathNotAbsolute, key, $"`{path}`: {why}", StorageRule.PathHint(path)));
                    continue;
                }
                foreach (var other in owners.Where(o => PosixPath.Overlap(o.Value, path)))
                {
                    var relation = other.Value == path ? "the same path as" : PosixPath.IsSameOrUnder(path, other.Value) ? "inside the path of" : "a parent of the path of";
                    var message = other.App == app.Name
                        ? $"`{path}` is {relation} {other.Path} of the same app"
                        : $"`{path}` is {relation} app {other.App} ({other.Path}) on host {x.Host.Name}";
                    context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.SamePathTwoApps, key, message));
                }
                owners.Add(($"{appPath}.paths[{p}]", path, app.Name));
            }
        });
        RuleFor(x => x).Custom((x, context) =>
        {
            var app = x.App;
            for (int e = 0; e < app.Excludes.Length; e++)
            {
                var pattern = app.Excludes[e];
                var key = $"excludes[{e}]";
                if (ExcludePattern.WhyInvalid(pattern) is { } why)
                    context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.ExcludeInvalid, key, $"`{pattern}`: {why}"));
                else if (pattern.StartsWith('/') && !app.Paths.Any(p => PosixPath.IsSameOrUnder(LiteralPrefix(pattern), p) || PosixPath.IsSameOrUnder(p, LiteralPrefix(pattern))))
                    context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.ExcludeNeverMatches, key, $"`{pattern}` is not under any of the app's paths ({string.Join(", ", app.Paths)})"));
            }
        });
        RuleFor(x => x.App.Hooks.ComposeDirectory)
            .Must(compose => compose is null || PosixPath.WhyNotAbsoluteNormalised(compose) is null)
            .OverridePropertyName("hooks.composeDirectory").Code(DiagnosticCatalogue.PathNotAbsolute)
            .WithMessage(x => $"`{x.App.Hooks.ComposeDirectory}`: {PosixPath.WhyNotAbsoluteNormalised(x.App.Hooks.ComposeDirectory!)}")
            .WithState(x => new FailurePlacement(Hint: StorageRule.PathHint(x.App.Hooks.ComposeDirectory!)));
        RuleFor(x => x).Custom((x, context) =>
        {
            var app = x.App;
            // Without an explicit strategy the finding is about the app as a whole (it inherits the default).
            var strategyKey = app.Strategy is null ? "" : "strategy";
            var strategy = app.Strategy ?? x.DefaultStrategy;
            if (strategy == TransferStrategy.Sshfs && !app.Privileged)
                context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.SshfsNeedsPrivileged, strategyKey,
                    $"app {app.Name} uses sshfs without `privileged: true`: the mount works only where the cluster gives pods /dev/fuse", atKey: true));
            if (strategy == TransferStrategy.Sshfs)
                context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.SshfsOutsideRestricted, strategyKey,
                    $"app {app.Name} uses sshfs: its pod runs in its own namespace outside Pod Security restricted " +
                    (app.Privileged ? "as a privileged container (every capability and device of the node)" : "with SYS_ADMIN, privilege escalation (setuid fusermount3) and no AppArmor confinement"),
                    atKey: true));
            if (strategy != TransferStrategy.Sshfs && app.Privileged)
                context.AddFailure(ValidatorAdapter.Failure(DiagnosticCatalogue.PrivilegedWithoutSshfs, "privileged",
                    $"app {app.Name} uses {strategy.ToString().ToLowerInvariant()}, which does not need a privileged pod"));
        });
    }

    // The valid paths of the host's earlier apps: the first app to name a path owns it.
    private static List<(string Path, string Value, string App)> EarlierPaths(HostApp x)
    {
        var owners = new List<(string Path, string Value, string App)>();
        for (int a = 0; a < x.Index; a++)
            for (int p = 0; p < x.Host.Apps[a].Paths.Length; p++)
                if (PosixPath.WhyNotAbsoluteNormalised(x.Host.Apps[a].Paths[p]) is null)
                    owners.Add(($"{x.HostPath}.apps[{a}].paths[{p}]", x.Host.Apps[a].Paths[p], x.Host.Apps[a].Name));
        return owners;
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

/// <summary>MG0701-MG0714: hosts (port, address, user, host keys) and the paths, excludes and strategy of their apps.</summary>
public sealed class HostRule : InventoryRule
{
    private static readonly HostValidator Validator = new();
    private static readonly AppValidator App = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink)
    {
        var model = inventory.Model;
        for (int h = 0; h < model.Hosts.Length; h++)
        {
            var host = model.Hosts[h];
            var hostPath = $"hosts[{h}]";
            sink.Validate(Validator, host, hostPath);
            for (int a = 0; a < host.Apps.Length; a++)
                sink.Validate(App, new HostApp(host, hostPath, a, model.Defaults.Strategy), $"{hostPath}.apps[{a}]");
        }
    }
}
