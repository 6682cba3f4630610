using System.Collections.Immutable;
using System.Text.RegularExpressions;
using ManifestGen.Loading;

namespace ManifestGen.Validation;

/// <summary>Follows a source-map path (<c>hosts[0].apps[1].schedule</c>) through the model's types to the type of the value written there.</summary>
public static partial class ModelPaths
{
    [GeneratedRegex(@"\[\d+\]|[^.\[\]]+", RegexOptions.CultureInvariant)]
    private static partial Regex Segments();

    /// <summary>The declared type at <paramref name="path"/> below <paramref name="root"/>, or null when the path leaves the model.</summary>
    public static Type? TargetType(Type root, string path)
    {
        Type? type = root;
        foreach (Match segment in Segments().Matches(path))
        {
            if (type is null)
                return null;
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (segment.Value[0] == '[')
                type = ElementType(type);
            else if (DictionaryValueType(type) is { } valueType)
                type = valueType;
            else
                type = ModelTypes.IsKnown(type) && ModelTypes.Of(type) is RecordType r && r.Fields.TryGetValue(segment.Value, out var property) ? property.PropertyType : null;
        }
        return type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
    }

    private static Type? ElementType(Type type) => ModelTypes.IsKnown(type) && ModelTypes.Of(type) is ListType l ? l.Item : null;

    private static Type? DictionaryValueType(Type type) => ModelTypes.IsKnown(type) && ModelTypes.Of(type) is MapType m ? m.Value : null;
}
