using System.Collections.Immutable;
using System.Reflection;
using ManifestGen.Inventory;
using ManifestGen.Loading;

namespace ManifestGen.Tests.Loading;

public sealed class ModelTypesTests
{
    [Fact]
    public void Should_list_every_type_reachable_from_the_inventory()
    {
        // Walked by reflection here (the test runs on the JIT); the binder itself only asks the catalogue.
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<Type>();
        var queue = new Queue<Type>([typeof(InventorySpec)]);
        while (queue.TryDequeue(out var type))
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (type == typeof(string) || type == typeof(int) || type == typeof(bool) || !seen.Add(type))
                continue;
            if (!ModelTypes.IsKnown(type))
            {
                missing.Add(type.ToString());
                continue;
            }
            if (type.IsGenericType)
                foreach (var argument in type.GetGenericArguments())
                    queue.Enqueue(argument);
            else if (!type.IsEnum)
                foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.Name != "EqualityContract"))
                    queue.Enqueue(property.PropertyType);
        }
        Assert.Empty(missing);
    }

    [Fact]
    public void Should_keep_fields_in_declaration_order_with_yaml_keys()
    {
        var fields = ModelTypes.Record(typeof(GitOpsSpec)).Fields;
        var declared = typeof(GitOpsSpec).GetProperties().Where(p => p.CanWrite && p.Name != "EqualityContract").Select(p => p.Name);
        Assert.Equal(declared, fields.Values.Select(p => p.Name));
        Assert.Contains("repoURL", fields.Keys);
    }

    [Fact]
    public void Should_build_lists_and_maps_of_the_declared_types()
    {
        var list = ((ListType)ModelTypes.Of(typeof(ImmutableArray<string>))).Create(["a", "b"]);
        Assert.Equal<string>(["a", "b"], (ImmutableArray<string>)list);
        var map = ((MapType)ModelTypes.Of(typeof(ImmutableSortedDictionary<string, string>))).Create([KeyValuePair.Create("b", (object)"2"), KeyValuePair.Create("a", (object)"1")]);
        Assert.Equal(["a", "b"], ((ImmutableSortedDictionary<string, string>)map).Keys);
    }

    [Fact]
    public void Should_refuse_a_type_that_is_not_part_of_the_inventory()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ModelTypes.Of(typeof(Uri)));
        Assert.Contains("System.Uri", ex.Message, StringComparison.Ordinal);
    }
}
