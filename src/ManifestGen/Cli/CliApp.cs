using ManifestGen.Diagnostics;
using ManifestGen.Diagnostics.Formatting;
using ManifestGen.Output;
using ManifestGen.Pipeline;

namespace ManifestGen.Cli;

/// <summary>
/// The command line, over the pure core. Exit codes: 0 fine (warnings allowed), 1 findings or drift,
/// 2 usage or I/O error. Diagnostics go to stderr as <c>path(line,col): error CODE: message</c>
/// (or to stdout in the format <c>--format</c> names); diffs go to stdout.
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
          validate [env]          load and validate the inventory only
          explain CODE            print the documentation of a diagnostic code
          secrets ENV --from DIR  write plain Secret YAML from DIR/<secret>/<key> files into .secrets/ENV/
                                  (git-ignored; for a test cluster only)

        options:
          --root DIR              repository root (default: the current directory)
          --format FORMAT         diagnostics: text (default, stderr), json, codequality or sarif (stdout);
                                  render/check: helm also renders out/<env>/chart for every environment
          --out DIR               output folder of `secrets` (default: .secrets/ENV)
        """;

    private sealed record Options(string Command, string? Environment, string Root, string Format, string? From, string? Out);

    private const string TextFormat = "text";
    private const string HelmFormat = "helm";

    public int Run(IReadOnlyList<string> args, string currentDirectory)
    {
        var options = Parse(args, currentDirectory, out var error);
        if (options is null)
        {
            stderr.Write($"manifestgen: {error}\n\n{Usage}\n");
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
            options = options with { Format = TextFormat };
        if (!DiagnosticFormatter.TryParseFormat(options.Format, out _))
        {
            stderr.Write($"manifestgen: unknown format '{options.Format}' (known: {string.Join(", ", DiagnosticFormatter.FormatNames)}, {HelmFormat})\n");
            return UsageOrIo;
        }
        try
        {
            var generator = new Generator(new GeneratorPaths(options.Root)) { HelmChartForEveryEnvironment = chartForAll };
            return options.Command switch
            {
                "render" => Render(generator, options),
                "check" => Check(generator, options),
                "validate" => Validate(generator, options),
                "explain" => Explain(options.Environment!),
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

    private static Options? Parse(IReadOnlyList<string> args, string cwd, out string? error)
    {
        error = null;
        string? command = null, env = null, root = null, format = null, from = null, outDir = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                error = "help";
                return null;
            }
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (i + 1 >= args.Count)
                {
                    error = $"option {arg} needs a value";
                    return null;
                }
                var value = args[++i];
                switch (arg)
                {
                    case "--root": root = value; break;
                    case "--format": format = value; break;
                    case "--from": from = value; break;
                    case "--out": outDir = value; break;
                    default:
                        error = $"unknown option {arg}";
                        return null;
                }
                continue;
            }
            if (command is null)
                command = arg;
            else if (env is null)
                env = arg;
            else
            {
                error = $"unexpected argument '{arg}'";
                return null;
            }
        }
        if (command is not ("render" or "check" or "validate" or "explain" or "secrets"))
        {
            error = command is null ? "no command given" : $"unknown command '{command}'";
            return null;
        }
        if (command is "explain" or "secrets" && env is null)
        {
            error = command == "explain" ? "explain needs a diagnostic code, e.g. MG0101" : "secrets needs an environment";
            return null;
        }
        if (command == "secrets" && from is null)
        {
            error = "secrets needs --from DIR";
            return null;
        }
        return new Options(command, env, Path.GetFullPath(root ?? cwd), format ?? TextFormat, from, outDir);
    }

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

    private int Render(Generator generator, Options options)
    {
        var diagnostics = new List<Diagnostic>();
        var files = generator.EnvironmentFiles(options.Environment, diagnostics);
        if (diagnostics.Count > 0)
            return Math.Max(Report(diagnostics, options), UsageOrIo);
        var written = 0;
        foreach (var file in files)
        {
            var result = generator.Render(file);
            diagnostics.AddRange(result.Diagnostics);
            if (result.HasErrors)
                continue;
            diagnostics.AddRange(OutputTree.Write(generator.Paths.Out, result.Environment, result.Files));
            written++;
        }
        if (options.Environment is null)
            foreach (var stale in OutputTree.StaleEnvironments(generator.Paths.Out, files.Select(Loading.InventoryLoader.EnvironmentName)))
                Directory.Delete(Path.Combine(generator.Paths.Out, stale), recursive: true);
        var code = Report(diagnostics, options);
        if (diagnostics.Any(d => d.Code == DiagnosticCatalogue.OutputNotWritable.Code))
            return UsageOrIo;
        stderr.Write($"manifestgen: rendered {written} of {files.Length} environment(s) into out/\n");
        return code;
    }

    private int Check(Generator generator, Options options)
    {
        var diagnostics = new List<Diagnostic>();
        var files = generator.EnvironmentFiles(options.Environment, diagnostics);
        if (diagnostics.Count > 0)
            return Math.Max(Report(diagnostics, options), UsageOrIo);
        var drift = new List<FileDrift>();
        foreach (var file in files)
        {
            var result = generator.Render(file);
            diagnostics.AddRange(result.Diagnostics);
            if (!result.HasErrors)
                drift.AddRange(OutputTree.Compare(generator.Paths.Out, result.Environment, result.Files));
        }
        if (options.Environment is null)
            foreach (var stale in OutputTree.StaleEnvironments(generator.Paths.Out, files.Select(Loading.InventoryLoader.EnvironmentName)))
                drift.AddRange(OutputTree.ExistingFiles(generator.Paths.Out, stale).Select(f => new FileDrift(f, DriftKind.Extra, null, "")));
        foreach (var d in drift)
        {
            if (d is { Kind: DriftKind.Changed, Expected: { } rendered, Actual: { } committed })
                diagnostics.AddRange(Validation.Changes.ImmutableFieldChanges.Find("out/" + d.Path, committed, rendered));
            stdout.Write(UnifiedDiff.Create("a/out/" + d.Path, "b/out/" + d.Path, d.Actual, d.Expected));
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.OutputDrift, SourceSpan.WholeFile("out/" + d.Path),
                d.Kind switch
                {
                    DriftKind.Missing => "file is missing from out/",
                    DriftKind.Extra => "file is no longer produced by the inventory",
                    _ => "file differs from what the inventory renders",
                }));
        }
        var code = Report(diagnostics, options);
        if (drift.Count > 0)
        {
            var fix = options.Environment is null ? "make render" : $"make render ENV={options.Environment}";
            stderr.Write($"manifestgen: out/ is not current ({drift.Count} file(s)); fix it with `{fix}` and commit the result\n");
            return Findings;
        }
        return code;
    }

    private int Validate(Generator generator, Options options)
    {
        var diagnostics = new List<Diagnostic>();
        var files = generator.EnvironmentFiles(options.Environment, diagnostics);
        if (diagnostics.Count > 0)
            return Math.Max(Report(diagnostics, options), UsageOrIo);
        var loaded = new List<Inventory.LoadedInventory>();
        foreach (var file in files)
        {
            var (inventory, found) = generator.Validate(file);
            diagnostics.AddRange(found);
            if (inventory is not null)
                loaded.Add(inventory);
        }
        diagnostics.AddRange(Validation.Rules.EnvironmentSetRules.Check(loaded));
        return Report(diagnostics, options);
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
        var diagnostics = new List<Diagnostic>();
        var files = generator.EnvironmentFiles(options.Environment, diagnostics);
        if (files.IsEmpty)
            return Math.Max(Report(diagnostics, options), UsageOrIo);
        var result = generator.Render(files[0]);
        if (result.Plan is null)
            return Report(result.Diagnostics, options);
        var target = Path.GetFullPath(options.Out ?? Path.Combine(generator.Paths.Root, ".secrets", result.Environment), generator.Paths.Root);
        var (written, problems) = PlainSecrets.Write(result.Plan, Path.GetFullPath(options.From!, generator.Paths.Root), target);
        foreach (var p in problems)
            stderr.Write($"manifestgen: {p}\n");
        foreach (var w in written)
            stderr.Write($"manifestgen: wrote {w}\n");
        return problems.Count > 0 ? Findings : Ok;
    }
}
