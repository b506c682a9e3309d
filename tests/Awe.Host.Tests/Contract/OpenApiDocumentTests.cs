using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Awe.Host.OpenApi;
using Awe.Host.Tests.Infrastructure;

namespace Awe.Host.Tests.Contract;

/// <summary>
/// The served OpenAPI document is the contract integrators generate clients from: complete, and reviewed as a diff.
/// After an intended API change, rewrite the committed copy with
/// <c>AWE_WRITE_OPENAPI=1 dotnet test tests/Awe.Host.Tests --filter FullyQualifiedName~OpenApiDocumentTests</c>.
/// </summary>
public sealed class OpenApiDocumentTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    private static readonly string[] WriteMethods = ["post", "put", "patch", "delete"];

    private async Task<JsonObject> DocumentAsync()
    {
        var reply = (await fx.App.CreateClient().GetJson("/v1/awe/openapi.json")).Expect(HttpStatusCode.OK);
        return reply.Json.AsObject();
    }

    private static IEnumerable<(string Method, string Path, JsonObject Operation)> Operations(JsonObject document) =>
        from path in document["paths"]!.AsObject()
        from op in path.Value!.AsObject()
        select (op.Key, path.Key, op.Value!.AsObject());

    [Fact]
    public async Task Document_equals_the_committed_copy()
    {
        var document = await DocumentAsync();
        // The servers entry echoes the address the document was fetched from; everything else is the API.
        document.Remove("servers");
        var served = document.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }) + "\n";
        var file = Path.Combine(RepositoryRoot(), "docs", "openapi.json");
        if (Environment.GetEnvironmentVariable("AWE_WRITE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(file, served);
            return;
        }
        Assert.True(File.Exists(file), $"{file} is missing; write it with AWE_WRITE_OPENAPI=1 (see this class's summary)");
        var committed = await File.ReadAllTextAsync(file);
        // Compared as text so that the first differing line is shown; any change to the API shows up in review.
        var servedLines = served.Split('\n');
        var committedLines = committed.Replace("\r\n", "\n").Split('\n');
        for (var i = 0; i < Math.Max(servedLines.Length, committedLines.Length); i++)
        {
            var a = i < committedLines.Length ? committedLines[i] : "<end of file>";
            var b = i < servedLines.Length ? servedLines[i] : "<end of document>";
            Assert.True(a == b, $"docs/openapi.json differs from the served document at line {i + 1}:\n  committed: {a}\n  served:    {b}\n" +
                                "If the API change is intended, rewrite the copy with AWE_WRITE_OPENAPI=1 (see OpenApiDocumentTests) and commit it.");
        }
    }

    [Fact]
    public async Task Every_write_operation_has_a_contract_and_every_body_a_typed_schema()
    {
        var document = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!.AsObject();
        foreach (var (method, path, op) in Operations(document))
        {
            var key = $"{method.ToUpperInvariant()} {path}";
            if (WriteMethods.Contains(method))
                Assert.True(OperationContracts.All.ContainsKey(key), $"{key} has no entry in OperationContracts (its body and its own errors)");
            if (op["requestBody"] is not { } body) continue;
            var reference = body["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>();
            Assert.True(reference is not null, $"{key}: the request body has no schema reference");
            var name = reference!.Split('/')[^1];
            Assert.DoesNotContain(name, new[] { "JsonObject", "JsonNode" });
            var schema = schemas[name]!.AsObject();
            Assert.Equal("object", schema["type"]?.GetValue<string>());
            Assert.False(schema["additionalProperties"]?.GetValue<bool>() ?? true, $"{name} must refuse unknown fields as the reader does");
            Assert.NotEmpty(schema["properties"]!.AsObject());
            Assert.NotNull(schema["example"]);
        }
        // Every operation the contract names exists: a renamed route must not leave a stale entry behind.
        var served = Operations(document).Select(o => $"{o.Method.ToUpperInvariant()} {o.Path}").ToHashSet();
        Assert.Empty(OperationContracts.All.Keys.Where(k => !served.Contains(k)));
    }

    [Fact]
    public async Task Every_operation_documents_its_errors_in_the_envelope_and_its_security()
    {
        var document = await DocumentAsync();
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        Assert.Equal("JWT", document["components"]!["securitySchemes"]!["bearer"]!["bearerFormat"]!.GetValue<string>());
        foreach (var (method, path, op) in Operations(document))
        {
            var key = $"{method.ToUpperInvariant()} {path}";
            var responses = op["responses"]!.AsObject();
            var errors = responses.Where(r => r.Key[0] is '4' or '5').ToList();
            Assert.Contains(errors, r => r.Key == "500");
            foreach (var (status, response) in errors)
            {
                Assert.Equal("#/components/schemas/ErrorEnvelope", response!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
                Assert.Matches(@"^AWE-\d{3}: ", response["description"]!.GetValue<string>());
                var code = response["content"]!["application/json"]!["example"]!["errors"]![0]!["errorCode"]!.GetValue<string>();
                Assert.StartsWith(code, response["description"]!.GetValue<string>());
            }
            var isPublic = path is "/v1/awe/health" or "/v1/awe/health/live" or "/v1/awe/health/ready" or "/v1/awe/version" or "/v1/awe/config";
            Assert.True(isPublic == (op["security"] is null), $"{key}: security must be declared exactly where a token is needed");
            if (!isPublic) Assert.Contains(errors, r => r.Key == "401");
            if (op["requestBody"] is not null) Assert.Contains(errors, r => r.Key == "422");
            if (path.Contains('{')) Assert.True(errors.Any(r => r.Key == "404"), $"{key} has a path parameter but documents no 404");
        }
    }

    [Fact]
    public async Task Documented_codes_are_the_ones_the_api_answers_with()
    {
        var document = await DocumentAsync();
        var decide = document["paths"]!["/v1/awe/tasks/{id}/decision"]!["post"]!["responses"]!;
        var client = fx.Admin;

        var invalid = await client.PostJson("/v1/awe/tasks/no-such-task/decision", new JsonObject { ["action"] = "maybe" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Status);
        Assert.StartsWith(invalid.ErrorCode + ":", decide["422"]!["description"]!.GetValue<string>());

        var missing = await client.PostJson("/v1/awe/tasks/no-such-task/decision", new JsonObject { ["action"] = "approve" });
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Contains(missing.ErrorCode + ":", decide["404"]!["description"]!.GetValue<string>());

        var anonymous = await fx.App.CreateClient().PostJson("/v1/awe/tasks/no-such-task/decision", new JsonObject { ["action"] = "approve" });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Contains(anonymous.ErrorCode + ":", decide["401"]!["description"]!.GetValue<string>());
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Awe.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Awe.sln not found above " + AppContext.BaseDirectory);
    }
}
