using Microsoft.OpenApi;

namespace Awe.Host.OpenApi;

public static class OpenApiSetup
{
    /// <summary>The document at /v1/awe/openapi.json: generated from the endpoints, completed by <see cref="ContractTransformer"/>.</summary>
    public static IServiceCollection AddAweOpenApi(this IServiceCollection services) => services.AddOpenApi(o =>
    {
        o.AddDocumentTransformer<ContractTransformer>();
        o.AddSchemaTransformer((schema, _, _) =>
        {
            // Numbers are read leniently from strings by the web defaults, so the generator types them "integer or string"
            // with a pattern; the API writes and documents plain numbers.
            if (schema.Type is { } type && type.HasFlag(JsonSchemaType.String) && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number)))
            {
                schema.Type = type & ~JsonSchemaType.String;
                schema.Pattern = null;
            }
            return Task.CompletedTask;
        });
    });
}
