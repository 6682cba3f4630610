using System.Collections.Immutable;
using System.ComponentModel;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ManifestGen.Inventory;
using ManifestGen.Loading;

namespace ManifestGen.Validation.Schema;

/// <summary>
/// The JSON Schema (draft-07) of the inventory, generated from the C# model: keys as the loader reads
/// them (<see cref="ModelBinder.Fields"/>), descriptions from [Description], enums as the lower-case
/// words the loader accepts. Committed as schemas/inventory.schema.json for editors (yaml-language-server);
/// a test fails when the committed file drifts. Nothing is marked required: an environment file that
/// `extends` a base is complete only after layering, which the loader checks.
/// </summary>
public static class InventorySchema
{
    public const string File = "schemas/inventory.schema.json";
    public const string Id = "https://manifestgen.invalid/schemas/inventory.schema.json";

    public static string Generate()
    {
        var definitions = new SortedDictionary<string, Type>(StringComparer.Ordinal);
        Collect(typeof(InventorySpec), definitions);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("$schema", "http://json-schema.org/draft-07/schema#");
            json.WriteString("$id", Id);
            json.WriteString("title", "ManifestGen inventory");
            WriteObjectBody(json, typeof(InventorySpec), extraProperties: w =>
            {
                w.WriteStartObject(InventoryLoader.ExtendsKey);
                w.WriteString("type", "string");
                w.WriteString("description", "File name of a base inventory this file builds on (relative to this file); later wins, maps merge, lists replace, an explicit null removes an inherited key.");
                w.WriteEndObject();
            });
            json.WriteStartObject("definitions");
            foreach (var (name, type) in definitions)
            {
                if (type == typeof(InventorySpec))
                    continue;
                json.WriteStartObject(name);
                WriteObjectBody(json, type, null);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void Collect(Type type, SortedDictionary<string, Type> definitions)
    {
        if (!IsRecord(type) || definitions.ContainsKey(type.Name))
            return;
        definitions[type.Name] = type;
        foreach (var property in ModelBinder.Fields(type).Values)
            foreach (var inner in Inner(property.PropertyType))
                Collect(inner, definitions);
    }

    private static IEnumerable<Type> Inner(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsGenericType)
            return type.GetGenericArguments().SelectMany(Inner);
        return [type];
    }

    private static bool IsRecord(Type type) =>
        type.IsClass && type != typeof(string) && type.Namespace == typeof(InventorySpec).Namespace;

    private static void WriteObjectBody(Utf8JsonWriter json, Type type, Action<Utf8JsonWriter>? extraProperties)
    {
        if (type.GetCustomAttribute<DescriptionAttribute>() is { } description)
            json.WriteString("description", description.Description);
        var shorthand = type.GetCustomAttribute<ScalarShorthandAttribute>();
        if (shorthand is not null)
        {
            // `- pg_dump …` is the same as `- run: pg_dump …`.
            json.WriteStartArray("anyOf");
            json.WriteStartObject();
            json.WriteString("type", "string");
            json.WriteString("description", $"Shorthand for an object with only `{ModelBinder.Fields(type).First(f => f.Value.Name == shorthand.PropertyName).Key}`.");
            json.WriteEndObject();
            json.WriteStartObject();
        }
        json.WriteString("type", "object");
        json.WriteStartObject("properties");
        extraProperties?.Invoke(json);
        var fields = ModelBinder.Fields(type);
        foreach (var (key, property) in fields)
        {
            json.WriteStartObject(key);
            WriteType(json, property.PropertyType);
            if (property.GetCustomAttribute<DescriptionAttribute>() is { } d)
                json.WriteString("description", d.Description + (ModelBinder.IsRequired(property) ? " Required." : ""));
            else if (ModelBinder.IsRequired(property))
                json.WriteString("description", "Required.");
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteBoolean("additionalProperties", false);
        if (type.GetCustomAttribute<ExactlyOneOfAttribute>() is not null)
        {
            json.WriteStartArray("oneOf");
            foreach (var key in fields.Keys)
            {
                json.WriteStartObject();
                json.WriteStartArray("required");
                json.WriteStringValue(key);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        if (shorthand is not null)
        {
            json.WriteEndObject();
            json.WriteEndArray();
        }
    }

    private static void WriteType(Utf8JsonWriter json, Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
            json.WriteString("type", "string");
        else if (type == typeof(int) || type == typeof(long))
            json.WriteString("type", "integer");
        else if (type == typeof(bool))
            json.WriteString("type", "boolean");
        else if (type.IsEnum)
        {
            json.WriteString("type", "string");
            json.WriteStartArray("enum");
            foreach (var name in Enum.GetNames(type))
                json.WriteStringValue(name.ToLowerInvariant());
            json.WriteEndArray();
        }
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
        {
            json.WriteString("type", "array");
            json.WriteStartObject("items");
            WriteType(json, type.GetGenericArguments()[0]);
            json.WriteEndObject();
        }
        else if (type.IsGenericType && type.GetGenericArguments().Length == 2)
        {
            json.WriteString("type", "object");
            json.WriteStartObject("additionalProperties");
            WriteType(json, type.GetGenericArguments()[1]);
            json.WriteEndObject();
        }
        else if (IsRecord(type))
        {
            // draft-07 ignores keywords beside $ref, so the reference goes into allOf and the description stays visible.
            json.WriteStartArray("allOf");
            json.WriteStartObject();
            json.WriteString("$ref", "#/definitions/" + type.Name);
            json.WriteEndObject();
            json.WriteEndArray();
        }
    }
}
