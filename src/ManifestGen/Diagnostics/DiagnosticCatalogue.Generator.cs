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

    public static readonly DiagnosticRule InvisibleCharacter = new("MG0006", Severity.Error,
        "Invisible or look-alike character",
        "A key or value contains a character that makes it look like something it is not: an invisible or formatting character (U+200B ZERO WIDTH SPACE, U+FEFF byte order mark inside the text, U+00AD SOFT HYPHEN, bidi controls such as U+202E RIGHT-TO-LEFT OVERRIDE), a space other than U+0020 (U+00A0 NO-BREAK SPACE), a control character, or a Cyrillic or Greek letter inside an otherwise Latin word (`ехample.org` with Cyrillic `е` and `х`). Such a name, address, path or command prints exactly like the intended one, and fails where it is used (DNS, SSH, rsync, Kubernetes) or, worse, means another thing. The message names the character by code point, and the location is its line and column; comments are not checked.",
        "Delete the character and type it again in plain ASCII; `grep -nP '[^\\x00-\\x7F]' FILE` lists the lines with other characters.");
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
        "Placeholder in rendered output", "A rendered file still contains a placeholder, found by the same detector as MG0201 (shell syntax in the job configuration's hook and dump commands is not one).");
    public static readonly DiagnosticRule PrivateKeyInOutput = new("MG0907", Severity.Error,
        "Private key in rendered output", "A rendered file contains private key material. Keys belong in Secrets created outside Git.");
    public static readonly DiagnosticRule DuplicateObject = new("MG0908", Severity.Error,
        "Two rendered objects share a kind and name", "Two rendered objects would overwrite each other in the cluster, usually because two derived names collide.");
    public static readonly DiagnosticRule OutputDrift = new("MG0909", Severity.Error,
        "Committed output is not current", "out/ differs from what the inventory renders now (changed, extra or missing files). Run `manifestgen render` (in the ManifestGen repository itself: `make render`) and commit the result.");
    public static readonly DiagnosticRule ScheduleNotExpandable = new("MG0910", Severity.Error,
        "Schedule cannot be expanded", "The schedule does not have five fields, or uses H outside the minute and hour fields, so the generator cannot compute the stable value for H.");
    public static readonly DiagnosticRule RunnerRefusesConfig = new("MG0912", Severity.Error,
        "Job configuration the runner refuses", "The runner checks its job configuration (job.json) before it does anything and refuses one with a relative path, a dump file name with a folder, stopped services without a compose directory, a retention policy that keeps nothing, an ssh setting with quotes or line breaks, and so on. The generator runs the same check on every job.json it renders, so the refusal happens at commit instead of at the first scheduled run.", "Fix the inventory field the message names.");
    public static readonly DiagnosticRule ApiServerRejects = new("MG0913", Severity.Error,
        "Object the Kubernetes API server or Argo CD rejects", "Every rendered object is checked with a port of the API server's own validation (apimachinery names, label keys and values, annotations; batch/v1 CronJob and Job fields such as startingDeadlineSeconds >= 0, activeDeadlineSeconds > 0, backoffLimit >= 0, history limits >= 0, concurrencyPolicy; pod, container, volume and environment names, volume mounts, resource requests at most their limits, security context ids; ConfigMap keys; PersistentVolume and claim fields), and Argo CD's rules on the Application (name usable as the tracking label, project name, repository URL forms, a relative source path without `..`; a path into another environment's out/<env>/ folder is reported too). The message uses the API server's words and field path; the location is the inventory entry the object comes from.", "Fix the inventory value that produces the field the message names.");
    public static readonly DiagnosticRule ConfigMapTooLarge = new("MG0911", Severity.Error,
        "ConfigMap data larger than 1 MiB", "Kubernetes rejects a ConfigMap whose keys and values (data and binaryData) add up to more than 1 MiB (1,048,576 bytes), so Argo CD could never apply it.");
    public static readonly DiagnosticRule HelmChartInvalid = new("MG0920", Severity.Error,
        "Helm chart name or version invalid",
        "`output.helmChart.name` becomes the chart's name: lower-case letters, digits and `-`, starting with a letter and ending with a letter or digit, at most 63 characters (what `helm create` and `helm lint` accept). `output.helmChart.version` must be a SemVer 2 version (`1.2.3`, `1.2.3-rc.1`); Helm refuses to package or install a chart without one.",
        "Write for example `helmChart: { enabled: true, name: backup-production, version: 1.0.0 }`.");
}
