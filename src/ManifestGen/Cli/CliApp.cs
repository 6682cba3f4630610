using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Diagnostics.Formatting;
using ManifestGen.Output;
using ManifestGen.Pipeline;
using ManifestGen.Planning;

namespace ManifestGen.Cli;

/// <summary>
/// The command line, over the pure core. Exit codes: 0 fine (warnings allowed), 1 findings or drift,
/// 2 usage or I/O error. Diagnostics go to stderr as <c>path(line,col): error CODE: message</c>
/// (or to stdout in the format <c>--format</c> names); diffs go to stdout, or to stderr when stdout
/// carries a machine-readable report. Every command calls <see cref="Generator.Generate"/>: the rules
/// live in the core, this class only parses arguments and prints.
/// </summary>
public sealed class CliApp(TextWriter stdout, TextWriter stderr, bool colorOnStderr = false)
{
    public const int Ok = 0;
    public const int Findings = 1;
    public const int UsageOrIo = 2;

    public const string Usage = """
        usage: manifestgen <command> [environment] [options]

        commands:
          render [env]            render every environment in values/ (or one) into out/
          check [env]             render in memory and compare with out/; exit 1 on any drift
          validate [env]          render in memory and report every diagnostic; write nothing
          restore ENV HOST/APP    print a restore Job for `kubectl create -f -` (see `manifestgen help restore`)
          explain CODE            print the documentation of a diagnostic code
          discover FILE|-         print inventory entries for what a coverage run found uncovered
          secrets ENV --from DIR  write plain Secret YAML from DIR/<secret>/<key> files into .secrets/ENV/
                                  (git-ignored; for a test cluster only)
          help [command]          this text, or one command's

        options:
          --root DIR              repository root (default: the current directory); templates/ in it
                                  override the built-in templates file by file
          --format FORMAT         diagnostics: text (default, stderr), json, codequality or sarif (stdout);
                                  render/check: helm also renders out/<env>/chart for every environment
          --out DIR               output folder of `secrets` (default: .secrets/ENV)
          --baseline REV          what the cluster has, for the immutable-field warnings: a git revision
                                  (default HEAD; CI passes the merge base), `index` (the staged out/) or
                                  `worktree` (out/ on disk)
          -q, --quiet             no summary line on success
          -h, --help              help (stdout)
          --version               the generator's version

        exit codes:
          0  success (warnings allowed)
          1  findings: an error diagnostic, or out/ differs from what the inventory renders
          2  usage or I/O error
        """;

    /// <summary>`manifestgen help COMMAND` / `manifestgen COMMAND --help`.</summary>
    public static readonly ImmutableSortedDictionary<string, string> CommandHelp = new Dictionary<string, string>
    {
        ["render"] = """
            usage: manifestgen render [env] [--root DIR] [--format FORMAT] [--baseline REV] [-q]

            Renders every environment in values/ (or the one named) into out/<env>/. out/ is owned by the tool:
            files it no longer produces, and folders of removed environments, are deleted. Nothing is written
            when any environment has an error. Exit 0, or 1 on an error diagnostic.
            """,
        ["check"] = """
            usage: manifestgen check [env] [--root DIR] [--format FORMAT] [--baseline REV] [-q]

            Renders in memory and compares with out/: prints a unified diff for each file that differs,
            is missing or is no longer produced, and warns about changes Kubernetes rejects in place. Exit 1 on
            any difference; the fix is `manifestgen render` and a commit.
            """,
        ["validate"] = """
            usage: manifestgen validate [env] [--root DIR] [--format FORMAT] [--baseline REV] [-q]

            Renders in memory and reports every diagnostic; writes nothing. Exit 0, or 1 on an error diagnostic.
            """,
        ["restore"] = """
            usage: manifestgen restore ENV HOST/APP [--snapshot ID|latest | --at TIME] [--path P]... [--dump NAME]
                                       (--to-host | --target-claim NAME | --stdout | --list) [--force]
                                       [--from-copy NAME] [--root DIR]

            Prints a Job (YAML, stdout) that runs `manifestgen-runner restore` in the app's own pod spec: the
            same image, job configuration, repository, Secrets, mounts and security settings as its backup.
            Apply it with `manifestgen restore ... | kubectl create -f -`. The Job is validated like every
            rendered object (strict re-parse into the Kubernetes types); nothing is written to out/.

              --snapshot ID|latest   snapshot to restore (default: latest; dump snapshots are never picked)
              --at TIME              the newest snapshot taken at or before TIME (ISO 8601, e.g.
                                     2026-11-30T02:00:00Z)
              --path P               a file or folder under the app's paths (repeatable; default: all of them)
              --to-host              write back to the same paths on the host over SSH
              --target-claim NAME    restore into the claim NAME (mounted at /restore): files as one archive
                                     /restore/<host>-<app>-<snapshot>.tar of what the host had (types,
                                     owners, modes, devices, xattrs, hard links); a dump as /restore/<file>
              --dump NAME            restore the dump NAME (hooks.dumps) instead of files; with --to-host,
                                     --path FILE says where below the app's paths it goes
              --stdout               with --dump: write the dump to the pod's log (kubectl logs > FILE)
              --list                 list the app's snapshots (files and dumps) as JSON in the pod's log
              --force                overwrite existing files (otherwise the runner refuses)
              --from-copy NAME       read the offsite copy NAME (repository.copies) instead of the primary:
                                     the Job mounts the copy's Secrets and nothing of the primary (its
                                     volume may be on the NAS that is gone)

            Every restore but a dump into a claim is staged on a volume of the app's mirrorSize, made for the
            Job's pod and deleted with it.
            """,
        ["explain"] = """
            usage: manifestgen explain CODE

            Prints the documentation of a diagnostic code (for example MG0508): what it means and how to fix it.
            """,
        ["secrets"] = """
            usage: manifestgen secrets ENV --from DIR [--out DIR] [--root DIR]

            Writes plain Secret YAML for a test cluster from DIR/<secret>/<key> files into .secrets/ENV/
            (git-ignored), for `kubectl apply -f`. Never for production: use sealed or external secrets.
            """,
        ["discover"] = """
            usage: manifestgen discover FILE|-

            Reads the summary line of a coverage run (`manifestgen-runner coverage`: its pod's log, or the
            line saved to FILE; - reads stdin) and prints inventory entries for what it found uncovered:
            an app for each compose project without one (its folder and the mounts outside it, its compose
            folder, the services to stop, a dump for each postgres, mariadb, mysql or mongodb container),
            and commented lines of what to add to a covered project's app. Paste them under the host's
            `apps:` and run `manifestgen validate`.
            """,
        ["help"] = """
            usage: manifestgen help [command]

            Prints the overview, or the help of one command, on stdout.
            """,
    }.ToImmutableSortedDictionary(StringComparer.Ordinal);

    internal sealed record Options(string Command, string? Environment, string Root, string Format, string? From, string? Out, string? Baseline)
    {
        /// <summary>`--format helm`: the Helm chart for every environment, diagnostics as text.</summary>
        public bool HelmChart { get; init; }
        public bool Quiet { get; init; }
        public string? App { get; init; }
        public string? Snapshot { get; init; }
        public string? At { get; init; }
        public ImmutableArray<string> Paths { get; init; } = [];
        public bool ToHost { get; init; }
        public string? TargetClaim { get; init; }
        public bool Force { get; init; }
        public string? Dump { get; init; }
        public bool ToStdout { get; init; }
        public bool List { get; init; }
        public string? FromCopy { get; init; }
    }

    private const string TextFormat = "text";
    private const string HelmFormat = "helm";

    public static string Version => ProductVersion.Of(typeof(CliApp).Assembly);

    public int Run(IReadOnlyList<string> args, string currentDirectory)
    {
        var parsed = Parse(args, currentDirectory);
        if (parsed.Output is { } output)
        {
            stdout.Write(output);
            return Ok;
        }
        if (parsed.Options is not { } options)
        {
            var usage = parsed.Command is { } c && CommandHelp.TryGetValue(c, out var help) ? help : Usage;
            stderr.Write($"manifestgen: {parsed.Error}\n\n{usage}\n");
            return UsageOrIo;
        }
        // `--format helm` names an output, not a diagnostics format: the Helm chart beside the manifests.
        var chartForAll = options.Format == HelmFormat;
        if (chartForAll && options.Command is not ("render" or "check"))
        {
            stderr.Write($"manifestgen: --format {HelmFormat} applies to render and check only\n");
            return UsageOrIo;
        }
        if (chartForAll)
            options = options with { Format = TextFormat, HelmChart = true };
        if (!DiagnosticFormatter.TryParseFormat(options.Format, out _))
        {
            stderr.Write($"manifestgen: unknown format '{options.Format}' (known: {string.Join(", ", DiagnosticFormatter.FormatNames)}, {HelmFormat})\n");
            return UsageOrIo;
        }
        try
        {
            var generator = new Generator(new GeneratorPaths(options.Root));
            return options.Command switch
            {
                "render" => Render(generator, options),
                "check" => Check(generator, options),
                "validate" => Validate(generator, options),
                "restore" => Restore(generator, options),
                "explain" => Explain(options.Environment!),
                "discover" => Discover(options.Environment!),
                "secrets" => Secrets(generator, options),
                _ => UsageOrIo,
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stderr.Write($"manifestgen: {ex.Message}\n");
            return UsageOrIo;
        }
#pragma warning disable CA1031 // the CLI reports, it never ends in a stack trace
        catch (Exception ex)
#pragma warning restore CA1031
        {
            stderr.Write($"manifestgen: internal error ({ex.GetType().Name}): {ex.Message}\n");
            return UsageOrIo;
        }
    }

    /// <summary>What the command line asks for: options to run, text to print (help, version), or an error.</summary>
    internal sealed record ParseResult(Options? Options, string? Output, string? Error, string? Command);

    internal static ParseResult Parse(IReadOnlyList<string> args, string cwd)
    {
        string? command = null, env = null, app = null, root = null, format = null, from = null, outDir = null, baseline = null;
        string? snapshot = null, at = null, targetClaim = null, dump = null, fromCopy = null;
        bool quiet = false, help = false, toHost = false, force = false, toStdout = false, list = false;
        var paths = ImmutableArray.CreateBuilder<string>();
        ParseResult Fail(string error) => new(null, null, error, command);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "-h" or "--help": help = true; continue;
                case "--version": return new(null, $"manifestgen {Version}\n", null, null);
                case "-q" or "--quiet": quiet = true; continue;
                case "--to-host": toHost = true; continue;
                case "--force": force = true; continue;
                case "--stdout": toStdout = true; continue;
                case "--list": list = true; continue;
            }
            if (arg.StartsWith('-') && arg.Length > 1)
            {
                if (arg is not ("--root" or "--format" or "--from" or "--out" or "--snapshot" or "--at" or "--path" or "--target-claim" or "--baseline" or "--dump" or "--from-copy"))
                    return Fail($"unknown option {arg}");
                if (i + 1 >= args.Count)
                    return Fail($"option {arg} needs a value");
                var value = args[++i];
                switch (arg)
                {
                    case "--root": root = value; break;
                    case "--format": format = value; break;
                    case "--from": from = value; break;
                    case "--out": outDir = value; break;
                    case "--snapshot": snapshot = value; break;
                    case "--at": at = value; break;
                    case "--path": paths.Add(value); break;
                    case "--baseline": baseline = value; break;
                    case "--dump": dump = value; break;
                    case "--from-copy": fromCopy = value; break;
                    default: targetClaim = value; break;
                }
                continue;
            }
            if (command is null)
                command = arg;
            else if (env is null)
                env = arg;
            else if (command == "restore" && app is null)
                app = arg;
            else
                return Fail($"unexpected argument '{arg}'");
        }
        if (command == "help")
        {
            if (env is null)
                return new(null, Usage + "\n", null, null);
            return CommandHelp.TryGetValue(env, out var text)
                ? new(null, text + "\n", null, null)
                : new(null, null, $"no command '{env}' (known: {string.Join(", ", CommandHelp.Keys)})", null);
        }
        if (help)
            return new(null, (command is not null && CommandHelp.TryGetValue(command, out var text) ? text : Usage) + "\n", null, null);
        if (command is null || !CommandHelp.ContainsKey(command))
            return new(null, null, command is null ? "no command given" : $"unknown command '{command}'", null);
        if (command is "explain" or "secrets" or "restore" or "discover" && env is null)
            return Fail(command switch
            {
                "discover" => "discover needs the coverage run's summary: a file, or - for stdin",
                "explain" => "explain needs a diagnostic code, e.g. MG0101",
                "secrets" => "secrets needs an environment",
                _ => "restore needs an environment and HOST/APP",
            });
        if (command == "secrets" && from is null)
            return Fail("secrets needs --from DIR");
        var restoreOnly = snapshot is not null || at is not null || paths.Count > 0 || toHost || targetClaim is not null || force ||
            dump is not null || toStdout || list || fromCopy is not null;
        if (command != "restore" && restoreOnly)
            return Fail("--snapshot, --at, --path, --dump, --to-host, --target-claim, --stdout, --list, --force and --from-copy are options of `restore` only");
        if (command == "restore")
        {
            if (app is null || app.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
                return Fail("restore needs HOST/APP, e.g. kvm-lab/immich");
            if (new[] { toHost, targetClaim is not null, toStdout, list }.Count(d => d) != 1)
                return Fail("restore needs exactly one of --to-host, --target-claim NAME, --stdout and --list");
            if (list && (snapshot is not null || at is not null || paths.Count > 0 || dump is not null || force))
                return Fail("--list lists snapshots and restores nothing: it takes no --snapshot, --at, --path, --dump or --force");
            if (snapshot is not null && at is not null)
                return Fail("--snapshot and --at exclude each other");
        }
        return new(new Options(command, env, Path.GetFullPath(root ?? cwd), format ?? TextFormat, from, outDir, baseline)
        {
            Quiet = quiet, App = app, Snapshot = snapshot, At = at, Paths = paths.ToImmutable(), ToHost = toHost,
            TargetClaim = targetClaim, Force = force, Dump = dump, ToStdout = toStdout, List = list, FromCopy = fromCopy,
        }, null, null, command);
    }

    /// <summary>The one line that says what was checked (stderr), unless -q.</summary>
    private void Summary(Options options, string what, IEnumerable<Diagnostic> diagnostics)
    {
        if (options.Quiet)
            return;
        var all = diagnostics.ToList();
        var errors = all.Count(d => d.Severity == Severity.Error);
        var warnings = all.Count(d => d.Severity == Severity.Warning);
        stderr.Write($"{what}: {Count(errors, "error")}, {Count(warnings, "warning")}\n");
    }

    private static string Count(int n, string noun) =>
        n.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + noun + (n == 1 ? "" : "s");

    private static string Environments(int n) => Count(n, "environment");

    private int Report(IEnumerable<Diagnostic> diagnostics, Options options)
    {
        var sorted = DiagnosticOrder.Sort(diagnostics);
        DiagnosticFormatter.TryParseFormat(options.Format, out var format);
        // Diagnostic files are repo-relative: read their text from the root for the source excerpts.
        var sources = SourceSet.FromFiles(sorted.Select(d => d.Location.File), options.Root);
        if (format == ReportFormat.Text)
        {
            if (sorted.Length > 0)
                DiagnosticFormatter.Write(format, sorted, sources, stderr, new FormatOptions(colorOnStderr, options.Root));
        }
        else
        {
            DiagnosticFormatter.Write(format, sorted, sources, stdout, new FormatOptions(false, options.Root));
        }
        return sorted.Any(d => d.Severity == Severity.Error) ? Findings : Ok;
    }

    // Every command asks the core the same question; only what it does with the answer differs.
    private static Generation Generate(Generator generator, Options options) =>
        generator.Generate(new GenerationRequest(options.Environment,
            CommittedOutput.Resolve(generator.Paths.Root, generator.Paths.Out, options.Baseline), options.HelmChart));

    private int Render(Generator generator, Options options)
    {
        var generation = Generate(generator, options);
        if (generation.RequestFailed)
            return Math.Max(Report(generation.Diagnostics, options), UsageOrIo);
        var written = generator.Emit(generation);
        var code = Report([.. generation.Diagnostics, .. written], options);
        if (!written.IsEmpty)
            return UsageOrIo;
        Summary(options, generation.HasErrors
            ? $"rendered 0 of {Environments(generation.Environments.Length)} into out/"
            : $"rendered {Environments(generation.Environments.Length)} into out/", generation.Diagnostics);
        return code;
    }

    private int Check(Generator generator, Options options)
    {
        var generation = Generate(generator, options);
        if (generation.RequestFailed)
            return Math.Max(Report(generation.Diagnostics, options), UsageOrIo);
        var comparison = generator.Compare(generation);
        // A machine-readable report owns stdout; the diff then goes to stderr so stdout stays one JSON document.
        var diffs = options.Format == TextFormat ? stdout : stderr;
        foreach (var d in comparison.Drift)
            diffs.Write(UnifiedDiff.Create("a/out/" + d.Path, "b/out/" + d.Path, d.Actual, d.Expected));
        var code = Report([.. generation.Diagnostics, .. comparison.Diagnostics], options);
        if (!comparison.Drift.IsEmpty)
        {
            // The tool's own command: a GitOps repository has no Makefile (this repository's `make render` runs the same).
            var fix = options.Environment is null ? "manifestgen render" : $"manifestgen render {options.Environment}";
            stderr.Write($"manifestgen: out/ is not current ({comparison.Drift.Length} file(s)); fix it with `{fix}` and commit the result\n");
            return Findings;
        }
        var checkedCount = Environments(generation.Environments.Length);
        Summary(options, code == Ok ? $"checked {checkedCount}, out/ is current" : $"checked {checkedCount}",
            [.. generation.Diagnostics, .. comparison.Diagnostics]);
        return code;
    }

    private int Validate(Generator generator, Options options)
    {
        var generation = Generate(generator, options);
        var code = Report(generation.Diagnostics, options);
        if (generation.RequestFailed)
            return Math.Max(code, UsageOrIo);
        Summary(options, $"validated {Environments(generation.Environments.Length)}", generation.Diagnostics);
        return code;
    }

    private int Restore(Generator generator, Options options)
    {
        DateTimeOffset? at = null;
        if (options.At is { } text)
        {
            if (!RestoreTime.TryParse(text, out var parsed))
            {
                stderr.Write($"manifestgen: --at '{text}' is not an ISO 8601 time with an offset, e.g. {RestoreTime.Example}\n");
                return UsageOrIo;
            }
            at = parsed;
        }
        var generation = generator.Generate(new GenerationRequest(options.Environment));
        if (generation.RequestFailed || generation.HasErrors || generation.Environments[0].Plan is not { } plan)
        {
            var code = Report(generation.Diagnostics, options);
            return generation.RequestFailed ? Math.Max(code, UsageOrIo) : Findings;
        }
        var slash = options.App!.IndexOf('/', StringComparison.Ordinal);
        var unit = RestorePlanner.Plan(plan, new RestoreRequest(options.App[..slash], options.App[(slash + 1)..])
        {
            Snapshot = options.Snapshot, At = at, Paths = options.Paths, ToHost = options.ToHost,
            TargetClaim = options.TargetClaim, Force = options.Force, Dump = options.Dump, ToStdout = options.ToStdout, List = options.List,
            FromCopy = options.FromCopy,
        }, out var error);
        if (unit is null)
        {
            stderr.Write($"manifestgen: {error}\n");
            return UsageOrIo;
        }
        var (yaml, diagnostics) = generator.RenderObject(unit);
        var result = Report([.. generation.Diagnostics, .. diagnostics], options);
        if (yaml is null)
            return Findings;
        var (host, app) = (options.App[..slash], options.App[(slash + 1)..]);
        if (options.ToHost && plan.Apps.Any(a => a.Host == host && a.App == app && a.RestoreKeySecret is not null))
            // Behind the gate the restore key writes only while a window is open (README, host setup).
            stdout.Write($"# Onto gated host {host}: first, as root on that host, open a restore window:\n" +
                         $"#   manifestgen-gate open-restore {app} 2h\n# (the gate refuses the restore key without one)\n");
        stdout.Write(yaml);
        Summary(options, $"restore Job for {options.App} in {plan.Environment}", [.. generation.Diagnostics, .. diagnostics]);
        return result;
    }

    private int Discover(string file)
    {
        var json = file == "-" ? Console.In.ReadToEnd() : File.ReadAllText(file);
        CoverageReport report;
        try
        {
            report = CoverageJson.ParseReport(json, file == "-" ? "stdin" : file);
        }
        catch (JobConfigException ex)
        {
            stderr.Write($"manifestgen: {ex.Message}\n");
            return UsageOrIo;
        }
        stdout.Write(Inventory.DiscoveredApps.Entries(report));
        return Ok;
    }

    private int Explain(string code)
    {
        if (DiagnosticCatalogue.Find(code.ToUpperInvariant()) is not { } rule)
        {
            stderr.Write($"manifestgen: no diagnostic {code}\n");
            return UsageOrIo;
        }
        stdout.Write(RuleDocumentation.Explain(rule));
        return Ok;
    }

    private int Secrets(Generator generator, Options options)
    {
        var generation = generator.Generate(new GenerationRequest(options.Environment));
        if (generation.RequestFailed || generation.Environments[0].Plan is not { } plan)
            return Math.Max(Report(generation.Diagnostics, options), generation.RequestFailed ? UsageOrIo : Findings);
        var environment = generation.Environments[0].Environment;
        var target = Path.GetFullPath(options.Out ?? Path.Combine(generator.Paths.Root, ".secrets", environment), generator.Paths.Root);
        var (written, problems) = PlainSecrets.Write(plan, Path.GetFullPath(options.From!, generator.Paths.Root), target);
        foreach (var p in problems)
            stderr.Write($"manifestgen: {p}\n");
        foreach (var w in written)
            stderr.Write($"manifestgen: wrote {w}\n");
        return problems.Count > 0 ? Findings : Ok;
    }
}
