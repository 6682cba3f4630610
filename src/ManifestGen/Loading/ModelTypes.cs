using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using ManifestGen.Contracts;
using ManifestGen.Inventory;

namespace ManifestGen.Loading;

/// <summary>
/// The closed set of types an inventory binds to, each described once with members known at compile
/// time: records (their YAML fields), lists, string-keyed maps and enums. The binder, the schema and the
/// path lookup ask this catalogue instead of reflecting over whatever type they meet, so the generator
/// needs no run-time code generation and trims safely (a test checks that every type reachable from
/// <see cref="InventorySpec"/> is listed here).
/// </summary>
public static class ModelTypes
{
    private static readonly FrozenDictionary<Type, ModelType> All = new ModelType[]
    {
        Record<InventorySpec>(), Record<GitOpsSpec>(), Record<ArgoCdSpec>(), Record<AutomatedSyncSpec>(),
        Record<ImageSpec>(), Record<RepositorySpec>(), Record<RepositoryServerSpec>(), Record<ReportingSpec>(), Record<PingUrlSecretSpec>(), Record<SecretKeyRefSpec>(),
        Record<StorageSpec>(), Record<NfsStorageSpec>(), Record<LocalStorageSpec>(), Record<MaintenanceSpec>(),
        Record<ForgetSpec>(), Record<CheckSpec>(), Record<DrillSpec>(), Record<AlertsSpec>(), Record<RetentionSpec>(), Record<ResourcesSpec>(),
        Record<ResourceAmountsSpec>(), Record<AppDefaults>(), Record<SecretsSpec>(), Record<SealedSecretsSpec>(),
        Record<ExternalSecretsSpec>(), Record<HostSpec>(), Record<HostGateSpec>(), Record<SecretRefSpec>(), Record<AppSpec>(),
        Record<HooksSpec>(), Record<HookSpec>(), Record<DumpSpec>(), Record<OutputSpec>(), Record<HelmChartSpec>(),
        Record<NetworkPolicySpec>(), Record<EgressPeerSpec>(),
        Record<RepositoryCopySpec>(), Record<CopyLocationSpec>(), Record<RestCopyLocationSpec>(), Record<S3CopyLocationSpec>(),
        Record<CopyCredentialsSpec>(), Record<CopyCheckSpec>(), List<RepositoryCopySpec>(),
        Enum<SecretsMode>(), Enum<TransferStrategy>(),
        List<string>(), List<HostSpec>(), List<AppSpec>(), List<HookSpec>(), List<DumpSpec>(),
        Map<string>(), Map<ImmutableSortedDictionary<string, string>>(),
    }.ToFrozenDictionary(t => t.Type);

    /// <summary>The description of <paramref name="type"/>; an internal error when it is not an inventory type.</summary>
    public static ModelType Of(Type type) =>
        All.TryGetValue(type, out var t) ? t : throw new InvalidOperationException($"{type} is not listed in {nameof(ModelTypes)}");

    public static bool IsKnown(Type type) => All.ContainsKey(type);

    public static RecordType Record(Type type) =>
        Of(type) as RecordType ?? throw new InvalidOperationException($"{type} is not a record of the inventory");

    private static RecordType Record<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>()
        where T : class =>
        new(typeof(T), () => Activator.CreateInstance<T>(),
            typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && p.GetMethod is not null && !p.GetMethod.IsStatic && p.Name != "EqualityContract")
                .ToDictionary(KeyOf, p => p, StringComparer.Ordinal),
            typeof(T).GetCustomAttribute<ScalarShorthandAttribute>(),
            typeof(T).GetCustomAttribute<ExactlyOneOfAttribute>() is not null);

    private static EnumType Enum<T>() where T : struct, Enum =>
        new(typeof(T), [.. System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant())], [.. System.Enum.GetValues<T>().Cast<object>()]);

    private static ListType List<T>() => new(typeof(ImmutableArray<T>), typeof(T), items => ImmutableArray.CreateRange(items.Cast<T>()));

    private static MapType Map<T>() => new(typeof(ImmutableSortedDictionary<string, T>), typeof(T),
        entries => ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, entries.Select(e => KeyValuePair.Create(e.Key, (T)e.Value))));

    public static string KeyOf(PropertyInfo property) =>
        property.GetCustomAttribute<YamlKeyAttribute>()?.Key
        ?? char.ToLowerInvariant(property.Name[0]) + property.Name[1..];

    public static bool IsRequired(PropertyInfo property) => property.GetCustomAttribute<RequiredMemberAttribute>() is not null;
}

public abstract record ModelType(Type Type);

/// <summary>A record: its YAML key → property map, how to create one, and its binding attributes.</summary>
// Fields keep declaration order (a Dictionary never written after construction enumerates in insertion
// order): messages and the schema list them in that order.
public sealed record RecordType(Type Type, Func<object> Create, IReadOnlyDictionary<string, PropertyInfo> Fields,
    ScalarShorthandAttribute? Shorthand, bool ExactlyOne) : ModelType(Type);

/// <summary>An enum: its lower-case names and values, in declaration order.</summary>
public sealed record EnumType(Type Type, ImmutableArray<string> Names, ImmutableArray<object> Values) : ModelType(Type);

/// <summary>An <see cref="ImmutableArray{T}"/> of <paramref name="Item"/>.</summary>
public sealed record ListType(Type Type, Type Item, Func<IEnumerable<object>, object> Create) : ModelType(Type);

/// <summary>An ordinal <see cref="ImmutableSortedDictionary{TKey, TValue}"/> from string to <paramref name="Value"/>.</summary>
public sealed record MapType(Type Type, Type Value, Func<IEnumerable<KeyValuePair<string, object>>, object> Create) : ModelType(Type);
