namespace ManifestGen.Diagnostics;

// Rules of the generator itself: loading and layering, the inventory's shape, rendering and the checks
// of rendered objects against each other. Codes are stable; never reuse a retired number.
public static partial class DiagnosticCatalogue
{
    public static readonly DiagnosticRule DuplicateKey = new("MG0003", Severity.Error,
        "Duplicate key", "A mapping names the same key twice. YAML forbids it and parsers disagree on which value wins.");
    public static readonly DiagnosticRule BaseFileProblem = new("MG0004", Severity.Error,
        "Base file cannot be layered", "The file named by `extends` does not exist, is not a file in values/, or the chain of `extends` forms a cycle or is deeper than 8 files.");
    public static readonly DiagnosticRule OutputNotWritable = new("MG0005", Severity.Error,
        "Output cannot be written", "A file or directory under out/ cannot be written or deleted.");

    public static readonly DiagnosticRule UnknownKey = new("MG0101", Severity.Error,
        "Unknown key", "The inventory has a key the format does not define, often a typo. The hint names the closest known key.");
    public static readonly DiagnosticRule WrongType = new("MG0102", Severity.Error,
        "Wrong value type", "A value has the wrong YAML type: a list where a mapping is expected, text where a number or boolean is expected, and so on.");
    public static readonly DiagnosticRule MissingRequired = new("MG0103", Severity.Error,
        "Missing required field", "A required field is not set (or is null). The location is the object that lacks it.");
    public static readonly DiagnosticRule InvalidChoice = new("MG0104", Severity.Error,
        "Value is not one of the allowed choices", "A field that takes one of a fixed set of words (strategy, secrets mode) has another value.");
    public static readonly DiagnosticRule ExactlyOne = new("MG0105", Severity.Error,
        "Exactly one option required", "An object that is a choice (storage: nfs or local) must set exactly one of its options.");

    public static readonly DiagnosticRule VolumeClaimMismatch = new("MG0903", Severity.Error,
        "PersistentVolume and claim disagree", "A statically bound PersistentVolume and its claim must have the same explicit storageClassName, the claim's access modes must be a subset of the volume's, its request at most the capacity, and they must reference each other (volumeName and claimRef).");
    public static readonly DiagnosticRule MissingReferencedObject = new("MG0904", Severity.Error,
        "Referenced object is not rendered", "A pod mounts a claim or ConfigMap that is not among the rendered objects (Secrets are listed for the operator instead).");
    public static readonly DiagnosticRule RenderedCronJobNameTooLong = new("MG0905", Severity.Error,
        "CronJob name longer than 52 characters", "The CronJob controller appends 11 characters to name its Jobs, which are capped at 63.");
    public static readonly DiagnosticRule PlaceholderInOutput = new("MG0906", Severity.Error,
        "Placeholder in rendered output", "A rendered file still contains a placeholder such as ${…}, {{…}}, <UPPER_CASE>, CHANGEME, REPLACE_ME or TODO.");
    public static readonly DiagnosticRule PrivateKeyInOutput = new("MG0907", Severity.Error,
        "Private key in rendered output", "A rendered file contains private key material. Keys belong in Secrets created outside Git.");
    public static readonly DiagnosticRule DuplicateObject = new("MG0908", Severity.Error,
        "Two rendered objects share a kind and name", "Two rendered objects would overwrite each other in the cluster, usually because two derived names collide.");
    public static readonly DiagnosticRule OutputDrift = new("MG0909", Severity.Error,
        "Committed output is not current", "out/ differs from what the inventory renders now (changed, extra or missing files). Run `make render` and commit the result.");
    public static readonly DiagnosticRule ScheduleNotExpandable = new("MG0910", Severity.Error,
        "Schedule cannot be expanded", "The schedule does not have five fields, or uses H outside the minute and hour fields, so the generator cannot compute the stable value for H.");
    public static readonly DiagnosticRule RunnerRefusesConfig = new("MG0912", Severity.Error,
        "Job configuration the runner refuses", "The runner checks its job configuration (job.json) before it does anything and refuses one with a relative path, a dump file name with a folder, stopped services without a compose directory, a retention policy that keeps nothing, an ssh setting with quotes or line breaks, and so on. The generator runs the same check on every job.json it renders, so the refusal happens at commit instead of at the first scheduled run.", "Fix the inventory field the message names.");
    public static readonly DiagnosticRule ConfigMapTooLarge = new("MG0911", Severity.Error,
        "ConfigMap data larger than 1 MiB", "Kubernetes rejects a ConfigMap whose keys and values (data and binaryData) add up to more than 1 MiB (1,048,576 bytes), so Argo CD could never apply it.");
    public static readonly DiagnosticRule HelmChartInvalid = new("MG0920", Severity.Error,
        "Helm chart name or version invalid",
        "`output.helmChart.name` becomes the chart's name: lower-case letters, digits and `-`, starting with a letter and ending with a letter or digit, at most 63 characters (what `helm create` and `helm lint` accept). `output.helmChart.version` must be a SemVer 2 version (`1.2.3`, `1.2.3-rc.1`); Helm refuses to package or install a chart without one.",
        "Write for example `helmChart: { enabled: true, name: backup-production, version: 1.0.0 }`.");
}
