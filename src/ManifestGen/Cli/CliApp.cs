using ManifestGen.Diagnostics;
using ManifestGen.Diagnostics.Formatting;
using ManifestGen.Output;
using ManifestGen.Pipeline;

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
          explain CODE            print the documentation of a diagnostic code
          secrets ENV --from DIR  write plain Secret YAML from DIR/<secret>/<key> files into .secrets/ENV/
                                  (git-ignored; for a test cluster only)

        options:
          --root DIR              repository root (default: the current directory)
          --format FORMAT         diagnostics: text (default, stderr), json, codequality or sarif (stdout)
          --out DIR               output folder of `secrets` (default: .secrets/ENV)
          --baseline REV          what the cluster has, for the immutable-field warnings: a git revision
                                  (default HEAD; CI passes the merge base), `index` (the staged out/) or
                                  `worktree` (out/ on disk)
        """;

    private sealed record Options(string Command, string? Environment, string Root, string Format, string? From, string? Out, string? Baseline);

    private const string TextFormat = "text";

    public int Run(IReadOnlyList<string> args, string currentDirectory)
    {
        var options = Parse(args, currentDirectory, out var error);
        if (options is null)
        {
            stderr.Write($"manifestgen: {error}\n\n{Usage}\n");
            return UsageOrIo;
        }
        if (!DiagnosticFormatter.TryParseFormat(options.Format, out _))
        {
            stderr.Write($"manifestgen: unknown format '{options.Format}' (known: {string.Join(", ", DiagnosticFormatter.FormatNames)})\n");
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
        string? command = null, env = null, root = null, format = null, from = null, outDir = null, baseline = null;
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
                    case "--baseline": baseline = value; break;
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
        return new Options(command, env, Path.GetFullPath(root ?? cwd), format ?? TextFormat, from, outDir, baseline);
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

    // Every command asks the core the same question; only what it does with the answer differs.
    private static Generation Generate(Generator generator, Options options) =>
        generator.Generate(new GenerationRequest(options.Environment,
            CommittedOutput.Resolve(generator.Paths.Root, generator.Paths.Out, options.Baseline)));

    private int Render(Generator generator, Options options)
    {
        var generation = Generate(generator, options);
        if (generation.RequestFailed)
            return Math.Max(Report(generation.Diagnostics, options), UsageOrIo);
        var written = generator.Emit(generation);
        var code = Report([.. generation.Diagnostics, .. written], options);
        if (!written.IsEmpty)
            return UsageOrIo;
        var count = generation.HasErrors ? 0 : generation.Environments.Length;
        stderr.Write($"manifestgen: rendered {count} of {generation.Environments.Length} environment(s) into out/\n");
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
            var fix = options.Environment is null ? "make render" : $"make render ENV={options.Environment}";
            stderr.Write($"manifestgen: out/ is not current ({comparison.Drift.Length} file(s)); fix it with `{fix}` and commit the result\n");
            return Findings;
        }
        return code;
    }

    private int Validate(Generator generator, Options options)
    {
        var generation = Generate(generator, options);
        var code = Report(generation.Diagnostics, options);
        return generation.RequestFailed ? Math.Max(code, UsageOrIo) : code;
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
