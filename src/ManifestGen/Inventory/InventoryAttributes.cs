namespace ManifestGen.Inventory;

/// <summary>The key a property has in the inventory YAML when it is not the camelCase property name.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class YamlKeyAttribute(string key) : Attribute
{
    public string Key { get; } = key;
}

/// <summary>
/// A record that may also be written as a plain scalar: the scalar sets the named property
/// (a hook may be written as `- pg_dump …` instead of `- run: pg_dump …`).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ScalarShorthandAttribute(string propertyName) : Attribute
{
    public string PropertyName { get; } = propertyName;
}

/// <summary>Of the properties of this record, exactly one must be set (a choice such as nfs | local).</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ExactlyOneOfAttribute : Attribute;
