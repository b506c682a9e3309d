using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Awe.Host.Api;
using Awe.Host.Auth;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using static Awe.Host.OpenApi.SchemaKit;

namespace Awe.Host.OpenApi;

/// <summary>
/// Completes the generated document: typed request bodies, the error envelope on every operation with the AWE-0xx
/// codes it can answer, the bearer JWT scheme on every operation that needs a token, and the smoke test's examples.
/// </summary>
internal sealed partial class ContractTransformer : IOpenApiDocumentTransformer
{
    public const string SecurityScheme = "bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "AWE — approval workflow engine";
        document.Info.Version = "v1";
        document.Info.Description =
            "Policies, requests, tasks and decisions under /v1/awe. Send `Authorization: Bearer <JWT>` (Keycloak). " +
            "Successful answers are bare JSON objects; /health, /version, /config and every error use the envelope " +
            "{id, version, responsetime, response, errors: [{errorCode, message, path?}]} (response null on error). " +
            "Validation errors (422, AWE-012) list every problem, each with the JSON path of the offending value.";

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        foreach (var (id, schema) in RequestSchemas.Build(document)) document.Components.Schemas[id] = schema;
        foreach (var (id, schema) in EnvelopeSchemas()) document.Components.Schemas[id] = schema;
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SecurityScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT",
            Description = "An access token from the Keycloak realm (awe.keycloak.issuer). Roles AWE_ADMIN and AWE_VIEWER come from realm_access and resource_access.",
        };

        var access = context.DescriptionGroups.SelectMany(g => g.Items)
            .GroupBy(d => Key(d.HttpMethod ?? "GET", "/" + Constraint().Replace(d.RelativePath ?? "", "}").TrimEnd('/')))
            .ToDictionary(g => g.Key, g => g.SelectMany(d => d.ActionDescriptor.EndpointMetadata).OfType<AccessRequirement>().LastOrDefault());

        foreach (var (path, item) in document.Paths)
        foreach (var (method, operation) in item.Operations ?? [])
        {
            var key = Key(method.Method, path);
            var contract = OperationContracts.All.GetValueOrDefault(key) ?? new OperationContract();
            Complete(document, operation, contract, access.GetValueOrDefault(key));
        }

        // Bodies are documented by their own schemas now; the bare JsonObject the endpoints declare is no longer used.
        document.Components.Schemas.Remove("JsonObject");
        return Task.CompletedTask;
    }

    public static string Key(string method, string path) => $"{method.ToUpperInvariant()} {path}";

    private static void Complete(OpenApiDocument document, OpenApiOperation operation, OperationContract contract, AccessRequirement? access)
    {
        var errors = new List<ErrorCase>();
        if (access is not null)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecurityScheme, document)] = [] }];
            errors.Add(new(401, ErrorCodes.Unauthenticated, "no bearer token, or the token was refused"));
            if (access.Access != Access.AnyCaller)
                errors.Add(new(403, ErrorCodes.Forbidden, access.Access == Access.Admin ? "the token lacks AWE_ADMIN" : "the token lacks AWE_VIEWER or AWE_ADMIN"));
            errors.Add(new(503, ErrorCodes.KeysUnavailable, "the issuer's signing keys cannot be fetched; retry"));
        }
        if (contract.Body is { } body)
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = !contract.BodyOptional,
                Description = contract.BodyOptional ? "optional: an empty body means no options" : null,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchemaReference(body, document) } },
            };
            errors.Add(new(400, ErrorCodes.MalformedBody, "the body is not JSON, is empty, or repeats a field name"));
            errors.Add(new(413, ErrorCodes.PayloadTooLarge, "the body is larger than awe.server.max_body_bytes"));
            errors.Add(new(415, ErrorCodes.MalformedBody, "the content type is not JSON"));
            errors.Add(new(422, ErrorCodes.Invalid, "the body breaks the schema or a rule in its descriptions; every problem is listed with its path"));
        }
        else
            operation.RequestBody = null;
        if (operation.Parameters?.Any(p => p.In == ParameterLocation.Query) == true)
        {
            errors.Add(new(400, ErrorCodes.MalformedBody, "a query value has the wrong type (e.g. limit=abc)"));
            errors.Add(new(422, ErrorCodes.Invalid, "a query value is out of range or not one of the allowed values"));
        }
        if (contract.IdempotencyKey)
            (operation.Parameters ??= []).Add(new OpenApiParameter
            {
                Name = "Idempotency-Key", In = ParameterLocation.Header, Required = false,
                Description = "1–255 characters. A repeat with the same key and body answers as the first call did, without creating anything; with another body it is refused (409 AWE-009).",
                Schema = Str(255),
            });
        errors.AddRange(contract.Errors ?? []);
        errors.Add(new(500, ErrorCodes.Internal, "a fault of ours, logged with a trace id; nothing was changed"));

        operation.Responses ??= new OpenApiResponses();
        if (contract.Success is { } success)
        {
            operation.Responses.Remove("200");
            operation.Responses[success.ToString()] = new OpenApiResponse { Description = "Done; no content" };
        }
        if (contract.Enveloped && operation.Responses.TryGetValue("200", out var ok) && ok is OpenApiResponse okResponse)
            okResponse.Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchemaReference("Envelope", document) } };

        foreach (var group in errors.GroupBy(e => e.Status).OrderBy(g => g.Key))
        {
            var cases = group.DistinctBy(e => (e.Code, e.When)).ToList();
            operation.Responses[group.Key.ToString()] = new OpenApiResponse
            {
                Description = string.Join("; ", cases.Select(c => $"{c.Code}: {c.When}")),
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new()
                    {
                        Schema = new OpenApiSchemaReference("ErrorEnvelope", document),
                        Example = ErrorExample(cases[0]),
                    },
                },
            };
        }
    }

    private static JsonNode ErrorExample(ErrorCase error) => new JsonObject
    {
        ["id"] = "openg2p.awe", ["version"] = "1.0", ["responsetime"] = "2026-01-31T12:00:00.000Z", ["response"] = null,
        ["errors"] = new JsonArray(new JsonObject { ["errorCode"] = error.Code, ["message"] = error.When }),
    };

    private static IEnumerable<(string, IOpenApiSchema)> EnvelopeSchemas()
    {
        var codes = typeof(ErrorCodes).GetFields().Select(f => (string)f.GetValue(null)!).Order().ToList();
        yield return ("ApiError", new OpenApiSchema
        {
            Type = JsonSchemaType.Object, Required = new HashSet<string> { "errorCode", "message" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["errorCode"] = Enum(codes, description: "AWE-0xx; see docs/api.md for the table of codes and statuses"),
                ["message"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "what went wrong and what to change" },
                ["path"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "JSON path of the offending value, e.g. stages[1].mode_value (validation errors)" },
            },
        });
        yield return ("ErrorEnvelope", Envelope("Every error: response is null, errors lists the problems.",
            new OpenApiSchema { Type = JsonSchemaType.Null }, new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, Items = new OpenApiSchemaReference("ApiError") }));
        yield return ("Envelope", Envelope("The reference's envelope of /health, /version and /config.",
            new OpenApiSchema { Type = JsonSchemaType.Object }, new OpenApiSchema { Type = JsonSchemaType.Array, MaxItems = 0 }));
    }

    private static OpenApiSchema Envelope(string description, IOpenApiSchema response, IOpenApiSchema errors) => new()
    {
        Type = JsonSchemaType.Object, Description = description,
        Required = new HashSet<string> { "id", "version", "responsetime", "response", "errors" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "awe.service_id" },
            ["version"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "awe.api_version" },
            ["responsetime"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
            ["response"] = response,
            ["errors"] = errors,
        },
    };

    [GeneratedRegex(@":[^}]*}")]
    private static partial Regex Constraint();
}
