using System.Collections.Immutable;
using ManifestGen.Inventory;
using static ManifestGen.Planning.Planner;

namespace ManifestGen.Planning;

/// <summary>
/// The Secrets the pods need and how they are provided: referenced (nothing rendered, the operator creates
/// them), sealed or external. Every planner reports the Secrets its pods mount; this planner renders the
/// ones the inventory provides and lists all of them, one entry per namespace and name.
/// </summary>
internal static class SecretsPlanner
{
    /// <summary>Secrets every scope needs: the repository password (every job). The ping URLs: <see cref="ReportingPlanner.PingSecrets"/>.</summary>
    public static IEnumerable<RequiredSecret> ScopeSecrets(PlanContext ctx)
    {
        var password = ctx.Repo.PasswordSecret;
        foreach (var scope in ctx.Scopes)
            yield return new RequiredSecret(password.Name, "Opaque", [password.Key], "every job (restic repository password)", scope);
    }

    public static IEnumerable<RenderUnit> Units(PlanContext ctx, IReadOnlyList<RequiredSecret> secrets)
    {
        var inv = ctx.Inv;
        var ns = ctx.Ns;
        var secretLabels = With(ctx.BaseLabels, ("app.kubernetes.io/component", "secret"));
        switch (inv.Secrets.Mode)
        {
            case SecretsMode.Sealed:
                var encrypted = inv.Secrets.Sealed?.EncryptedData ?? ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Empty;
                // Sealed data is encrypted for one namespace: only the environment's namespace gets it.
                return secrets.Where(s => s.Namespace == ns && encrypted.ContainsKey(s.Name)).DistinctBy(s => s.Name)
                    .Select(secret => new RenderUnit("sealed-secret.sbn", new SealedSecretModel(Meta(secret.Name, ns, secretLabels, Wave(-1)), secret.Type,
                        [.. encrypted[secret.Name].Select(kv => new KeyValue(kv.Key, kv.Value))]), "secrets.sealed.encryptedData." + secret.Name))
                    .ToList();
            case SecretsMode.External when inv.Secrets.External is { } external:
                return secrets.Where(s => external.RemoteRefs.ContainsKey(s.Name)).DistinctBy(s => (s.Namespace, s.Name))
                    .Select(secret => new RenderUnit("external-secret.sbn", new ExternalSecretModel(Meta(secret.Name, secret.Namespace, secretLabels, Wave(-1)),
                        secret.Type, external.StoreName, external.StoreKind, external.RefreshInterval,
                        [.. external.RemoteRefs[secret.Name].Select(kv => new KeyValue(kv.Key, kv.Value))]), "secrets.external.remoteRefs." + secret.Name))
                    .ToList();
            default:
                return [];
        }
    }

    /// <summary>One entry per namespace and name (keys and users merged), in ordinal order.</summary>
    public static ImmutableArray<RequiredSecret> Merge(IEnumerable<RequiredSecret> secrets) =>
    [
        .. secrets.GroupBy(s => (s.Namespace, s.Name))
            .Select(g => g.First() with { Keys = [.. g.SelectMany(s => s.Keys).Distinct().Order(StringComparer.Ordinal)],
                UsedBy = string.Join("; ", g.Select(s => s.UsedBy).Distinct()) })
            .OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal),
    ];
}
