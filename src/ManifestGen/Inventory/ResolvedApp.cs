using ManifestGen.Contracts;

namespace ManifestGen.Inventory;

/// <summary>
/// An app with the values it inherits from <c>defaults</c> filled in. <see cref="Path"/> is the app's
/// source-map path (<c>hosts[i].apps[j]</c>); <see cref="PathOf"/> says where an effective value was written.
/// </summary>
public sealed record ResolvedApp(
    HostSpec Host,
    AppSpec App,
    int HostIndex,
    int AppIndex,
    string Schedule,
    string TimeZone,
    TransferStrategy Strategy,
    RetentionSpec Retention,
    ResourcesSpec Resources,
    int ActiveDeadlineSeconds,
    string MirrorSize)
{
    public string Path => $"hosts[{HostIndex}].apps[{AppIndex}]";

    /// <summary>
    /// The source-map path of an effective field (YAML key such as "schedule"): the app's own when it sets
    /// it, otherwise the one in defaults.
    /// </summary>
    public string PathOf(string field, Loading.SourceMap map)
    {
        var own = $"{Path}.{field}";
        return map.IsSet(own) ? own : "defaults." + field;
    }
}

public static class InventoryResolution
{
    /// <summary>Every app of every host, in inventory order, with defaults applied.</summary>
    public static IEnumerable<ResolvedApp> Apps(InventorySpec inventory)
    {
        var d = inventory.Defaults;
        for (var h = 0; h < inventory.Hosts.Length; h++)
        {
            var host = inventory.Hosts[h];
            for (var a = 0; a < host.Apps.Length; a++)
            {
                var app = host.Apps[a];
                yield return new ResolvedApp(host, app, h, a,
                    app.Schedule ?? d.Schedule,
                    app.TimeZone ?? d.TimeZone,
                    app.Strategy ?? d.Strategy,
                    app.Retention ?? d.Retention,
                    app.Resources ?? d.Resources,
                    app.ActiveDeadlineSeconds ?? d.ActiveDeadlineSeconds,
                    app.MirrorSize ?? d.MirrorSize);
            }
        }
    }
}
