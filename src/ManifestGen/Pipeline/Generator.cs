using System.Collections.Immutable;
using ManifestGen.Contracts;
using ManifestGen.Diagnostics;
using ManifestGen.Inventory;
using ManifestGen.Loading;
using ManifestGen.Output;
using ManifestGen.Output.Helm;
using ManifestGen.Planning;
using ManifestGen.Rendering;
using ManifestGen.Security;
using ManifestGen.Validation.Changes;
using ManifestGen.Validation.Rules;

namespace ManifestGen.Pipeline;

/// <summary>Where the generator reads and writes; all relative to the repository root.</summary>
public sealed record GeneratorPaths(string Root)
{
    public string Values { get; init; } = Path.Combine(Root, "values");
    public string Templates { get; init; } = Path.Combine(Root, "templates");
    /// <summary>Templates packed with the tool (next to the program); used for every file the repository's templates/ lacks.</summary>
    public string? BuiltInTemplates { get; init; } = Path.Combine(AppContext.BaseDirectory, "templates");
    public string Out { get; init; } = Path.Combine(Root, "out");
}

/// <summary>One environment's result: diagnostics, and the files (relative to out/) when it rendered without errors.</summary>
public sealed record EnvironmentResult(string Environment, ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<OutputFile> Files, EnvironmentPlan? Plan)
{
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>What to generate: every environment in values/ (null) or one; what the cluster has (for the immutable-field checks).</summary>
/// <paramref name="HelmChartForEveryEnvironment"/> renders the Helm chart also where the inventory does not enable it (`--format helm`).
public sealed record GenerationRequest(string? Environment = null, CommittedOutput? Committed = null, bool HelmChartForEveryEnvironment = false);

/// <summary>
/// Everything one run found: the diagnostics of all selected environments, of the rules across
/// environments and of the comparison with the committed output, and the rendered files of each
/// environment. <see cref="Environments"/> is empty when the request itself failed (no values/, unknown
/// environment): <see cref="RequestFailed"/>.
/// </summary>
public sealed record Generation(ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<EnvironmentResult> Environments, bool RequestFailed)
{
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);

    /// <summary>Names of every environment in values/ (also those not selected), for stale-output detection.</summary>
    public ImmutableArray<string> KnownEnvironments { get; init; } = [];

    /// <summary>True when the request named no single environment: folders of unknown environments are stale.</summary>
    public bool AllEnvironments { get; init; }
}

/// <summary>Drift between out/ and a generation: the files and one MG0909 diagnostic per file.</summary>
public sealed record OutputComparison(ImmutableArray<FileDrift> Drift, ImmutableArray<Diagnostic> Diagnostics);

/// <summary>
/// The pure core: load → validate → plan → render → strict re-parse → cross-object checks → canonical
/// text → rules across environments → comparison with the committed output, all in memory. Every entry
/// point (render, check, validate, the hooks, the tests) calls <see cref="Generate"/> and so sees the same
/// diagnostics; writing is <see cref="Emit"/>, which writes nothing when anything is an error. It never
/// writes to the console.
/// </summary>
public sealed class Generator(GeneratorPaths paths)
{
    public const string ManifestsFolder = "manifests";
    public const string ApplicationFile = "application.yaml";
    public const string SecretsFile = "SECRETS.md";

    public GeneratorPaths Paths => paths;

    /// <summary>The one composition of every rule. Renders in memory; writes nothing.</summary>
    public Generation Generate(GenerationRequest request)
    {
        var diagnostics = new List<Diagnostic>();
        if (!Directory.Exists(paths.Values))
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.FileNotReadable, SourceSpan.WholeFile("values"), "the folder values/ does not exist"));
            return new Generation([.. diagnostics], [], RequestFailed: true);
        }
        var all = InventoryLoader.EnvironmentFiles(paths.Values);
        var known = all.Select(InventoryLoader.EnvironmentName).ToImmutableArray();
        if (request.Environment is { } only && !known.Contains(only))
        {
            diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.FileNotReadable, SourceSpan.WholeFile($"values/{only}.yaml"),
                $"no environment '{only}' in values/ (known: {string.Join(", ", known)})"));
            return new Generation([.. diagnostics], [], RequestFailed: true) { KnownEnvironments = known };
        }
        bool Selected(string env) => request.Environment is null || request.Environment == env;

        // Every environment is loaded and validated (cheap), so the rules across environments see them
        // all even when one is named; only the selected ones are rendered and reported.
        var validated = all.Select(f => (Environment: InventoryLoader.EnvironmentName(f), Result: Validate(f))).ToList();
        var results = new List<EnvironmentResult>();
        foreach (var (env, (inventory, found)) in validated.Where(v => Selected(v.Environment)))
        {
            var result = inventory is null || found.Any(d => d.Severity == Severity.Error)
                ? new EnvironmentResult(env, found, [], null)
                : Render(inventory, found, request.HelmChartForEveryEnvironment);
            if (request.Committed is { } committed && !result.Files.IsEmpty)
                result = result with
                {
                    Diagnostics = DiagnosticOrder.Sort([.. result.Diagnostics, .. ImmutableChanges(result.Files, committed),
                        .. HostFileChanges(env, inventory!.Model.HostGate, result.Files, committed)]),
                };
            results.Add(result);
            diagnostics.AddRange(result.Diagnostics);
        }
        diagnostics.AddRange(EnvironmentSetRules.Check(validated.Select(v => v.Result.Inventory).OfType<LoadedInventory>(), Selected));
        return new Generation(DiagnosticOrder.Sort(diagnostics), [.. results], RequestFailed: false)
        {
            KnownEnvironments = known,
            AllEnvironments = request.Environment is null,
        };
    }

    /// <summary>
    /// Writes every environment's files into out/ and deletes stale ones, or nothing at all when the
    /// generation has an error (in any environment). Returns the diagnostics of files that could not be written.
    /// </summary>
    public ImmutableArray<Diagnostic> Emit(Generation generation)
    {
        if (generation.RequestFailed || generation.HasErrors)
            return [];
        var diagnostics = new List<Diagnostic>();
        foreach (var result in generation.Environments)
            diagnostics.AddRange(OutputTree.Write(paths.Out, result.Environment, result.Files));
        if (generation.AllEnvironments)
            foreach (var stale in OutputTree.StaleEnvironments(paths.Out, generation.KnownEnvironments))
            {
                try
                {
                    Directory.Delete(Path.Combine(paths.Out, stale), recursive: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    diagnostics.Add(DiagnosticCatalogue.Create(DiagnosticCatalogue.OutputNotWritable, SourceSpan.WholeFile("out/" + stale), ex.Message));
                }
            }
        return [.. diagnostics];
    }

    /// <summary>
    /// Compares out/ on disk with the generation: every changed, missing or extra file, each with an
    /// MG0909 diagnostic. A generation with errors is not compared: render would write nothing for it
    /// either, so the errors are the whole answer until they are fixed.
    /// </summary>
    public OutputComparison Compare(Generation generation)
    {
        var drift = new List<FileDrift>();
        if (generation.HasErrors || generation.RequestFailed)
            return new OutputComparison([], []);
        foreach (var result in generation.Environments)
            drift.AddRange(OutputTree.Compare(paths.Out, result.Environment, result.Files));
        if (generation.AllEnvironments)
            foreach (var stale in OutputTree.StaleEnvironments(paths.Out, generation.KnownEnvironments))
                drift.AddRange(OutputTree.ExistingFiles(paths.Out, stale).Select(f => new FileDrift(f, DriftKind.Extra, null, "")));
        var diagnostics = drift.Select(d => DiagnosticCatalogue.Create(DiagnosticCatalogue.OutputDrift, SourceSpan.WholeFile("out/" + d.Path),
            d.Kind switch
            {
                DriftKind.Missing => "file is missing from out/",
                DriftKind.Extra => "file is no longer produced by the inventory",
                _ => "file differs from what the inventory renders",
            }));
        return new OutputComparison([.. drift], DiagnosticOrder.Sort(diagnostics));
    }

    // Only PersistentVolumes and claims have fields Kubernetes refuses to change in place; their file
    // names start with the lower-case kind, so other files are never read from the baseline.
    private static IEnumerable<Diagnostic> ImmutableChanges(ImmutableArray<OutputFile> files, CommittedOutput committed)
    {
        foreach (var file in files)
        {
            var name = Path.GetFileName(file.Path);
            // The chart's templates hold the same objects: one warning per change, at the manifest.
            if (!name.StartsWith("persistentvolume", StringComparison.Ordinal) || file.Path.Contains($"/{HelmChart.Folder}/", StringComparison.Ordinal)
                || committed.Read(file.Path) is not { } before || before == file.Content)
                continue;
            foreach (var d in ImmutableFieldChanges.Find("out/" + file.Path, before, file.Content))
                yield return d;
        }
    }

    /// <summary>
    /// The host files (allow-lists, authorized_keys) that differ from the baseline or are new in an
    /// environment the baseline has: Argo CD
    /// syncs the jobs of this commit at once, the hosts get their files only by hand, so each is named
    /// with where it goes (MG1004).
    /// </summary>
    private static IEnumerable<Diagnostic> HostFileChanges(string env, HostGateSpec? gate, ImmutableArray<OutputFile> files, CommittedOutput committed)
    {
        // An environment the baseline does not have yet is set up from the README's host setup, which
        // installs every host file; from then on each change is named.
        if (gate is null || committed.Read($"{env}/{ApplicationFile}") is null)
            yield break;
        var prefix = $"{env}/{HostGatePlan.Folder}/";
        foreach (var file in files.Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var before = committed.Read(file.Path);
            if (before == file.Content)
                continue;
            var parts = file.Path[prefix.Length..].Split('/');
            var outPath = "out/" + file.Path;
            var what = before is null ? $"new (not in {committed.Description})" : $"changed since {committed.Description}";
            var versions = before is null || GateAllowList.VersionIn(file.Content) is not { } now ? ""
                : $" (allow-list version {GateAllowList.VersionIn(before) ?? "none"} -> {now})";
            yield return DiagnosticCatalogue.Create(DiagnosticCatalogue.HostFileChanged, SourceSpan.WholeFile(outPath),
                $"{what}{versions}: {HostGatePlan.InstallHint(gate, parts[0], outPath, parts[^1])}");
        }
    }

    /// <summary>
    /// Renders one object that is not part of out/ (a restore Job): the same templates, strict re-parse into
    /// the Kubernetes types and canonical text as every rendered object. Null with the diagnostics when it fails.
    /// </summary>
    public (string? Yaml, ImmutableArray<Diagnostic> Diagnostics) RenderObject(RenderUnit unit)
    {
        var renderer = new TemplateRenderer(paths.Templates, builtInDirectory: paths.BuiltInTemplates);
        var diagnostics = new List<Diagnostic>();
        var text = renderer.Render(unit.Template, unit.Model, diagnostics);
        if (text is null || ObjectReader.Read(text, renderer.Display(unit.Template), diagnostics, out var json) is null)
            return (null, DiagnosticOrder.Sort(diagnostics));
        return (CanonicalYaml.Write(json!), DiagnosticOrder.Sort(diagnostics));
    }

    /// <summary>Loads and validates one environment file (every <see cref="IInventoryCheck"/>), without rendering. A stage of <see cref="Generate"/>.</summary>
    internal (LoadedInventory? Inventory, ImmutableArray<Diagnostic> Diagnostics) Validate(string environmentFile)
    {
        var load = new InventoryLoader(paths.Root).Load(environmentFile);
        if (load.Inventory is null)
            return (null, load.Diagnostics);
        return (load.Inventory, DiagnosticOrder.Sort([.. load.Diagnostics, .. InventoryChecks.Run(load.Inventory)]));
    }

    /// <summary>Renders one validated inventory in memory. A stage of <see cref="Generate"/>.</summary>
    internal EnvironmentResult Render(LoadedInventory inventory, IEnumerable<Diagnostic> earlier, bool helmChart = false)
    {
        var env = inventory.Environment;
        var diagnostics = new List<Diagnostic>(earlier);
        var plan = Planner.Plan(inventory, diagnostics);
        var renderer = new TemplateRenderer(paths.Templates, builtInDirectory: paths.BuiltInTemplates);
        // Namespaces are rendered last: their pod-security labels are the strictest level every pod
        // rendered into them passes, computed from the parsed pods themselves.
        var units = plan.Manifests.Where(u => u.Model is not NamespaceModel).Select(u => (Unit: u, IsApplication: false))
            .Append((plan.Application, true)).ToArray();
        var podResults = RenderUnits(renderer, inventory, units);
        var namespaceUnits = plan.Manifests.Where(u => u.Model is NamespaceModel)
            .Select(u => (Unit: NamespaceLevels.Label(u, podResults.Select(r => r.Placed?.Object)), IsApplication: false)).ToArray();
        var results = RenderUnits(renderer, inventory, namespaceUnits).Concat(podResults).ToArray();
        foreach (var r in results)
            diagnostics.AddRange(r.Diagnostics);
        var placed = results.Where(r => r.Placed is not null).Select(r => (Placed: r.Placed!, r.IsApplication, Content: r.Content!)).ToList();
        diagnostics.AddRange(CrossObjectChecks.Check([.. placed.Select(p => p.Placed)]));

        var files = placed.Select(p => new OutputFile(p.IsApplication
            ? $"{env}/{ApplicationFile}"
            : $"{env}/{ManifestsFolder}/{p.Placed.Object.Kind.ToLowerInvariant()}-{p.Placed.Object.Name}{NamespaceSuffix(p.Placed.Object, plan.Namespace)}.yaml", p.Content)).ToList();
        // Every file's text is scanned line by line: side by side, joined in the files' order.
        diagnostics.AddRange(PerCore.Map(placed.Count, i =>
            CrossObjectChecks.CheckText(files[i].Content, "out/" + files[i].Path, placed[i].Placed.Origin, inventory.Model.Placeholders).ToList()).SelectMany(f => f));
        files.Add(new OutputFile($"{env}/{SecretsFile}", SecretsReport.Write(plan)));
        files.AddRange(plan.HostFiles.Select(f => new OutputFile($"{env}/{f.Path}", f.Content)));
        // Runbooks are rendered and checked like every object, but outside manifests/: Argo CD never applies them.
        foreach (var runbook in plan.Runbooks)
        {
            var (yaml, found) = RenderObject(runbook);
            diagnostics.AddRange(found);
            if (yaml is not null && runbook.Model is JobModel job)
                files.Add(new OutputFile($"{env}/{EnvironmentPlan.RunbookFolder}/job-{job.Meta.Name}.yaml", yaml));
        }

        var sorted = DiagnosticOrder.Sort(diagnostics);
        var failed = sorted.Any(d => d.Severity == Severity.Error);
        // Output stage: the same objects as a Helm chart, when the inventory or the caller asks for it.
        if (!failed && (inventory.Model.Output.HelmChart.Enabled || helmChart))
            files.AddRange(HelmChart.Write(env, inventory.Model.Output.HelmChart, inventory.Model.Image,
                files.Where(f => f.Path.StartsWith($"{env}/{ManifestsFolder}/", StringComparison.Ordinal))));
        // Nothing half-done: an environment with errors produces no files at all.
        return new EnvironmentResult(env, sorted, failed ? [] : [.. files.OrderBy(f => f.Path, StringComparer.Ordinal)], plan);
    }

    /// <summary>
    /// Objects of another namespace than the environment's (the sshfs namespace) carry it in their file name
    /// after `_`, which no Kubernetes name contains: the same ConfigMap may exist in both.
    /// </summary>
    private static string NamespaceSuffix(RenderedObject o, string environmentNamespace) =>
        o.Namespace is null || o.Namespace == environmentNamespace || o.Kind == "Namespace" ? "" : "_" + o.Namespace;

    private static UnitResult[] RenderUnits(TemplateRenderer renderer, LoadedInventory inventory, (RenderUnit Unit, bool IsApplication)[] units)
    {
        // Render, strict re-parse and canonical text are independent per object: side by side, every
        // result and its diagnostics at the object's index (diagnostics are sorted at the end anyway).
        return PerCore.Map(units.Length, i =>
        {
            var (unit, isApplication) = units[i];
            var local = new List<Diagnostic>();
            PlacedObject? placedObject = null;
            string? content = null;
            var text = renderer.Render(unit.Template, unit.Model, local);
            // The node tree is needed only for the canonical text; not keeping it roughly halves peak memory.
            if (text is not null && ObjectReader.Read(text, renderer.Display(unit.Template), local, out var json) is { } obj)
            {
                content = CanonicalYaml.Write(json!);
                local.AddRange(RenderedObjectRules.Check(obj, unit.SourcePath, inventory.SourceMap));
                placedObject = new PlacedObject(obj, inventory.SourceMap.SpanOf(unit.SourcePath));
            }
            return new UnitResult(placedObject, isApplication, content, local);
        });
    }
}

/// <summary>One rendered object (null when it failed), its canonical text and the diagnostics it produced.</summary>
internal sealed record UnitResult(PlacedObject? Placed, bool IsApplication, string? Content, List<Diagnostic> Diagnostics);
