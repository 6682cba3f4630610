using System.Collections.Immutable;

namespace ManifestGen.Contracts;

/// <summary>
/// The tags the runner gives each snapshot it saves. Retention (<c>forget --tag app=NAME --keep-tag …</c>),
/// restores (which tell a dump from the app's files by its tag) and the generator's rules about keep-tags
/// read these facts from here, so a rule cannot refuse a tag the runner sets, nor allow one it never sets.
/// </summary>
public static class SnapshotTags
{
    /// <summary>Every snapshot of a dump stream (besides <see cref="DumpName"/>).</summary>
    public const string Dump = "dump";

    /// <summary>The snapshot of the tar strategy's stream.</summary>
    public const string TarStream = "tar";

    /// <summary>The tag every snapshot of an app carries; retention groups by it.</summary>
    public static string App(string app) => "app=" + app;

    /// <summary>The tag naming which of an app's dumps a dump snapshot holds.</summary>
    public static string DumpName(string dump) => "dump=" + dump;

    /// <summary>The tags of one snapshot: the app's tag, the kind's own tags, then the app's configured tags.</summary>
    public static ImmutableArray<string> Of(string app, ImmutableArray<string> appTags, params string[] kind) =>
        [App(app), .. kind, .. appTags];

    /// <summary>
    /// The tag set of each kind of snapshot one backup of an app saves: its files (or its tar stream) and
    /// one snapshot per dump.
    /// </summary>
    public static IEnumerable<ImmutableArray<string>> Saved(string app, ImmutableArray<string> appTags, TransferStrategy strategy, IEnumerable<string> dumpNames)
    {
        yield return strategy == TransferStrategy.Tar ? Of(app, appTags, TarStream) : Of(app, appTags);
        foreach (var dump in dumpNames)
            yield return Of(app, appTags, Dump, DumpName(dump));
    }

    /// <summary>
    /// True when some snapshot kind carries every tag of a keep-tag (restic reads `a,b` as both on one
    /// snapshot): otherwise `forget --keep-tag` keeps nothing by it.
    /// </summary>
    public static bool IsSet(string keepTag, IEnumerable<ImmutableArray<string>> saved) =>
        saved.Any(tags => keepTag.Split(',').All(tags.Contains));
}
