using System.Collections.Immutable;
using System.Net;
using System.Text.RegularExpressions;
using FluentValidation;
using FluentValidation.Results;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Validation.Primitives;

namespace ManifestGen.Validation.Rules;

/// <summary>
/// What the host gate needs from the inventory. Values are checked against the same character sets the
/// gate (host/manifestgen-gate) accepts, so a rendered allow-list always works. Paths are from the root.
/// </summary>
internal sealed partial class HostGateValidator : AbstractValidator<InventorySpec>
{
    /// <summary>What the gate's compose pattern accepts as a service name.</summary>
    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex PlainService();

    public HostGateValidator()
    {
        // The keys are checked with or without a gate: a key given must be usable.
        RuleFor(m => m.Hosts).Custom((hosts, context) =>
        {
            for (int h = 0; h < hosts.Length; h++)
                foreach (var failure in Keys(hosts[h], $"hosts[{h}]"))
                    context.AddFailure(failure);
        });
        RuleFor(m => m).Custom((model, context) =>
        {
            if (model.HostGate is not { } gate) return;
            foreach (var failure in Gate(model, gate))
                context.AddFailure(failure);
        });
    }

    private static IEnumerable<ValidationFailure> Gate(InventorySpec model, HostGateSpec gate)
    {
        if (gate.SourceRanges.IsEmpty)
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.GateSourceRangeInvalid, "hostGate.sourceRanges", "no range: the keys' `from=` would be empty", atKey: true);
        for (int i = 0; i < gate.SourceRanges.Length; i++)
            if (!IPNetwork.TryParse(gate.SourceRanges[i], out var net) || net.ToString() != gate.SourceRanges[i])
                yield return ValidatorAdapter.Failure(DiagnosticCatalogue.GateSourceRangeInvalid, $"hostGate.sourceRanges[{i}]",
                    $"`{gate.SourceRanges[i]}` is not a range in canonical CIDR notation (ADDRESS/PREFIX with the host bits zero)");
        var values = new List<(string Path, string Value)>
        {
            ("hostGate.program", gate.Program), ("hostGate.configDirectory", gate.ConfigDirectory), ("hostGate.sftpServer", gate.SftpServer),
            ("hostGate.sandboxProgram", gate.SandboxProgram), ("hostGate.restoreWindowDirectory", gate.RestoreWindowDirectory),
        };
        if (gate.LogFile is { } log) values.Add(("hostGate.logFile", log));
        foreach (var (path, value) in values)
            if (Plain(path, value) is { } failure) yield return failure;

        for (int h = 0; h < model.Hosts.Length; h++)
        {
            var host = model.Hosts[h];
            if (!host.GateSandbox)
                yield return ValidatorAdapter.Failure(DiagnosticCatalogue.GateUnsandboxed, $"hosts[{h}].gateSandbox",
                    $"host {host.Name} runs its gate without the sandbox: a key holder can reach files outside the apps through links, races and rsync filter rules");
            for (int a = 0; a < host.Apps.Length; a++)
            {
                var app = host.Apps[a];
                var at = $"hosts[{h}].apps[{a}]";
                for (int p = 0; p < app.Paths.Length; p++)
                    if (Plain($"{at}.paths[{p}]", app.Paths[p]) is { } failure) yield return failure;
                if (app.Hooks.ComposeDirectory is { } dir && Plain(at + ".hooks.composeDirectory", dir) is { } composeFailure)
                    yield return composeFailure;
                for (int s = 0; s < app.Hooks.StopServices.Length; s++)
                    if (!PlainService().IsMatch(app.Hooks.StopServices[s]))
                        yield return ValidatorAdapter.Failure(DiagnosticCatalogue.GateValueNotPlain, $"{at}.hooks.stopServices[{s}]",
                            $"`{app.Hooks.StopServices[s]}` is not a plain service name (letters, digits, `._-`)");
                foreach (var failure in OneLine(at + ".hooks.before", app.Hooks.Before.Select(x => x.Run))
                    .Concat(OneLine(at + ".hooks.after", app.Hooks.After.Select(x => x.Run)))
                    .Concat(OneLine(at + ".hooks.dumps", app.Hooks.Dumps.Select(x => x.Command), ".command")))
                    yield return failure;
                foreach (var failure in Outputs(at + ".hooks.before", app.Hooks.Before).Concat(Outputs(at + ".hooks.after", app.Hooks.After)))
                    yield return failure;
                if (!host.GateSandbox && (app.Strategy ?? model.Defaults.Strategy) == TransferStrategy.Sshfs)
                    yield return ValidatorAdapter.Failure(DiagnosticCatalogue.GateSshfsUnconfined, at + (app.Strategy is null ? "" : ".strategy"),
                        $"app {app.Name} uses sshfs on gated host {host.Name}: the backup key can read every file the host user `{host.User}` can read", atKey: true);
            }
        }
    }

    private static IEnumerable<ValidationFailure> Keys(HostSpec host, string at)
    {
        SshPublicKey? backup = null, restore = null;
        if (host.BackupPublicKey is { } b && !SshPublicKey.TryParse(b, out backup, out var why))
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.GatePublicKeyInvalid, at + ".backupPublicKey", $"not an SSH public key: {why}");
        if (host.RestorePublicKey is { } r && !SshPublicKey.TryParse(r, out restore, out var why2))
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.GatePublicKeyInvalid, at + ".restorePublicKey", $"not an SSH public key: {why2}");
        if (backup is not null && restore is not null && backup.KeyText == restore.KeyText)
            yield return ValidatorAdapter.Failure(DiagnosticCatalogue.GatePublicKeyInvalid, at + ".restorePublicKey",
                $"the restore key of host {host.Name} is the backup key; the read-only backup key must not be able to write");
    }

    // The gate's plain_path (besides the normalisation HostRule checks).
    private static ValidationFailure? Plain(string path, string value) =>
        GateAllowList.HasPlainCharacters(value) ? null
            : ValidatorAdapter.Failure(DiagnosticCatalogue.GateValueNotPlain, path,
                $"`{value}` is not a plain absolute path (letters, digits and `._/@+,:=-`): the host gate cannot pass it on");

    // Every file a hook writes (declared or found in its line) goes into the allow-list, where the gate checks
    // and creates it before the hook runs: a plain absolute path.
    private static IEnumerable<ValidationFailure> Outputs(string path, ImmutableArray<HookSpec> hooks)
    {
        for (int i = 0; i < hooks.Length; i++)
        {
            for (int w = 0; w < hooks[i].Writes.Length; w++)
                if (!hooks[i].Writes[w].StartsWith('/') || !GateAllowList.IsPlainPath(hooks[i].Writes[w]))
                    yield return ValidatorAdapter.Failure(DiagnosticCatalogue.GateValueNotPlain, $"{path}[{i}].writes[{w}]",
                        $"`{hooks[i].Writes[w]}` is not a plain absolute path (letters, digits and `._/@+,:=-`): the host gate checks and creates each file a hook writes");
            foreach (var found in GateAllowList.HookOutputs(hooks[i].Run, []).Where(o => !GateAllowList.IsPlainPath(o)))
                yield return ValidatorAdapter.Failure(DiagnosticCatalogue.GateValueNotPlain, $"{path}[{i}].run",
                    $"the command writes `{found}`, which is not a plain absolute path (letters, digits and `._/@+,:=-`): the host gate checks and creates each file a hook writes");
        }
    }

    private static IEnumerable<ValidationFailure> OneLine(string path, IEnumerable<string> commands, string suffix = ".run")
    {
        var i = 0;
        foreach (var c in commands)
        {
            if (GateAllowList.WhyNotEntryValue(c) is { } why)
                yield return ValidatorAdapter.Failure(DiagnosticCatalogue.GateValueNotPlain, $"{path}[{i}]{suffix}", $"the command {why}");
            i++;
        }
    }
}

/// <summary>MG0730-MG0734: what the host gate needs from the inventory.</summary>
public sealed class HostGateRule : InventoryRule
{
    private static readonly HostGateValidator Validator = new();

    protected override void Run(LoadedInventory inventory, RuleSink sink) =>
        sink.Validate(Validator, inventory.Model, "");
}
