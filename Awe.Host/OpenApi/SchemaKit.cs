using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Awe.Host.OpenApi;

/// <summary>
/// Small constructors for the hand-described request schemas. They mirror <see cref="Activities.Policies.JsonFieldReader"/>:
/// an absent or null optional field is "not given", a required string must hold a non-blank character, integers may
/// be written 1.0, and objects refuse fields they do not know.
/// </summary>
internal static class SchemaKit
{
    /// <summary>A string with at least one non-blank character: the reader trims before checking emptiness.</summary>
    public const string NonBlank = "\\S";

    public static OpenApiSchema Str(int maxLength, string? description = null, bool nonBlank = true, string? pattern = null, string? format = null) => new()
    {
        Type = JsonSchemaType.String, MaxLength = maxLength, Pattern = pattern ?? (nonBlank ? NonBlank : null), Format = format,
        Description = description,
    };

    public static OpenApiSchema Int(long min, long max = int.MaxValue, string? description = null) => new()
    {
        Type = JsonSchemaType.Integer, Format = "int32", Minimum = min.ToString(CultureInfo.InvariantCulture),
        Maximum = max.ToString(CultureInfo.InvariantCulture), Description = description,
    };

    public static OpenApiSchema Bool(string? description = null, bool defaultValue = false) =>
        new() { Type = JsonSchemaType.Boolean, Default = defaultValue, Description = description };

    /// <summary>The reader matches these case-insensitively and ignores surrounding blanks; the schema lists the canonical spelling.</summary>
    public static OpenApiSchema Enum(IEnumerable<string> values, string? defaultValue = null, string? description = null) => new()
    {
        Type = JsonSchemaType.String, Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList(),
        Default = defaultValue is null ? null : JsonValue.Create(defaultValue), Description = description,
    };

    public static OpenApiSchema AnyObject(string? description = null) =>
        new() { Type = JsonSchemaType.Object, Description = description };

    /// <summary>Accepted and ignored: fields a client may echo back from a response when it pre-fills a new body.</summary>
    public static OpenApiSchema Ignored(string what) =>
        new() { ReadOnly = true, Description = $"{what}; accepted so that a response can be sent back, and ignored" };

    public static OpenApiSchema ArrayOf(IOpenApiSchema items, string? description = null) =>
        new() { Type = JsonSchemaType.Array, Items = items, Description = description };

    /// <summary>An object that refuses unknown fields (the reader answers "is not a known field").</summary>
    /// <summary>
    /// An ISO-8601 duration as IsoDuration reads it: weeks alone, or days and a time of hours, minutes and whole seconds
    /// (years and months are refused: their length varies). From one second to ten years, which the pattern cannot say.
    /// </summary>
    public static OpenApiSchema Duration(string description) =>
        Str(64, description, format: "duration",
            pattern: @"^\s*[Pp](?:[0-9]{1,6}[Ww]|(?=[0-9Tt])(?:[0-9]{1,6}[Dd])?(?:[Tt](?=[0-9])(?:[0-9]{1,8}[Hh])?(?:[0-9]{1,9}[Mm])?(?:[0-9]{1,10}[Ss])?)?)\s*$");

    public static OpenApiSchema Closed(string description, IEnumerable<string> required, params (string Name, IOpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object, Description = description, AdditionalPropertiesAllowed = false,
        Required = new HashSet<string>(required),
        Properties = properties.ToDictionary(p => p.Name, p => p.Schema),
    };

    /// <summary>An object whose other fields are kept as they are (rule values carry resolver-specific extras).</summary>
    public static OpenApiSchema Open(string description, IEnumerable<string> required, params (string Name, IOpenApiSchema Schema)[] properties) => new()
    {
        Type = JsonSchemaType.Object, Description = description, Required = new HashSet<string>(required),
        Properties = properties.ToDictionary(p => p.Name, p => p.Schema),
    };

    /// <summary>Optional fields may also be null, which the reader treats as "not given".</summary>
    public static T OrNull<T>(this T schema) where T : OpenApiSchema
    {
        if (schema.Type is { } t) schema.Type = t | JsonSchemaType.Null;
        // An enum restricts null too: list it, or the schema would refuse the null the reader accepts.
        schema.Enum?.Add(null!);
        return schema;
    }

    public static OpenApiSchema When(string field, string value, OpenApiSchema then) => new()
    {
        If = new OpenApiSchema
        {
            Required = new HashSet<string> { field },
            Properties = new Dictionary<string, IOpenApiSchema> { [field] = new OpenApiSchema { Const = value } },
        },
        Then = then,
    };
}
