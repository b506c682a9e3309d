using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Platform;

/// <summary>
/// /health, /version and /config answer in the envelope; so does every failure the framework itself produces
/// (unknown route, wrong method, unreadable body). The OpenAPI document and its UI are served.
/// </summary>
public sealed class EnvelopeAndRoutingTests(PostgresAppFixture fx) : IClassFixture<PostgresAppFixture>
{
    [Fact]
    public async Task Health_is_UP_in_the_envelope()
    {
        var response = EnvelopeAssert.Success(await fx.App.CreateClient().GetJson("/v1/awe/health"));
        Assert.Equal("UP", (string?)response["status"]);
    }

    [Fact]
    public async Task Version_reports_the_service_version()
    {
        var response = EnvelopeAssert.Success(await fx.App.CreateClient().GetJson("/v1/awe/version"));

        Assert.False(string.IsNullOrWhiteSpace((string?)response["service_version"]));
        Assert.DoesNotContain("+", (string?)response["service_version"]); // no source-link suffix
        Assert.True(response.AsObject().ContainsKey("build_time"));
        Assert.True(response.AsObject().ContainsKey("git_commit"));
    }

    [Fact]
    public async Task Config_echoes_the_defaults_without_secrets()
    {
        var reply = await fx.App.CreateClient().GetJson("/v1/awe/config");
        var response = EnvelopeAssert.Success(reply);

        Assert.Equal(("openg2p.awe", "1.0", "default"), ((string)response["service_id"]!, (string)response["api_version"]!, (string)response["module"]!));
        var webhook = response["webhook"]!;
        Assert.Equal(6, (int?)webhook["max_attempts"]);
        Assert.Equal([60, 300, 900, 3600, 21600], webhook["backoff_seconds"]!.AsArray().Select(x => (int)x!));
        Assert.Equal(10, (int?)webhook["timeout_seconds"]);
        Assert.Equal(5, (int?)response["sla"]!["check_interval_seconds"]);
        foreach (var secret in new[] { "secret", "password", "smtp_user", "admin_client" })
            Assert.DoesNotContain(secret, reply.Raw, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/v1/awe/nothing-here")]
    [InlineData("/v1/awe/policies/a/b/c/d")]
    [InlineData("/v1/awe/requests/r-1/nope")]
    [InlineData("/")]
    [InlineData("/v2/awe/policies")]
    public async Task An_unknown_route_is_a_404_envelope(string url)
    {
        var message = EnvelopeAssert.ErrorMessage(await fx.Admin.GetJson(url), HttpStatusCode.NotFound, "AWE-016");
        Assert.Contains("/v1/awe", message);
    }

    [Theory]
    [InlineData("DELETE", "/v1/awe/policies")]
    [InlineData("PUT", "/v1/awe/health")]
    [InlineData("GET", "/v1/awe/policies/k/versions/1/activate")]
    [InlineData("POST", "/v1/awe/requests/r-1")]
    [InlineData("PATCH", "/v1/awe/policies/k")]
    public async Task A_wrong_method_is_a_405_envelope(string method, string url)
    {
        var reply = await fx.Admin.SendAsync(new HttpMethod(method), url, method is "GET" or "DELETE" ? null : "{}");

        var message = EnvelopeAssert.ErrorMessage(reply, HttpStatusCode.MethodNotAllowed, "AWE-016");
        Assert.Contains(method, message);
    }

    [Theory]
    [InlineData("{\"policy_key\": ")]
    [InlineData("{policy_key: 'x'}")]
    [InlineData("not json at all")]
    [InlineData("{\"a\": 1} trailing")]
    [InlineData("{\"a\": 1,}")]
    public async Task Malformed_json_is_400_AWE_015(string body)
    {
        var before = (await fx.Admin.GetJson("/v1/awe/policies")).Expect(HttpStatusCode.OK).Json.AsArray().Count;

        var message = EnvelopeAssert.ErrorMessage(await fx.Admin.PostJson("/v1/awe/policies", body), HttpStatusCode.BadRequest, "AWE-015");

        Assert.Contains("JSON", message);
        Assert.Equal(before, (await fx.Admin.GetJson("/v1/awe/policies")).Expect(HttpStatusCode.OK).Json.AsArray().Count);
    }

    [Theory]
    [InlineData("/v1/awe/policies")]
    [InlineData("/v1/awe/requests")]
    [InlineData("/v1/awe/delegations")]
    [InlineData("/v1/awe/policies/k/versions/1/simulate")]
    [InlineData("/v1/awe/tasks/t-1/decision")]
    public async Task Malformed_json_on_any_endpoint_is_never_a_500(string url)
    {
        var reply = await fx.Admin.PostJson(url, "{\"broken\": [1, 2");
        Assert.True(reply.Status is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{url}: {(int)reply.Status} {reply.Raw}");
        EnvelopeAssert.Error(reply, reply.Status, reply.ErrorCode!);
    }

    [Theory]
    [InlineData("/v1/awe/policies", "policy_key", """{"policy_key": "dup.a", "policy_key": "dup.b", "name": "n", "artifact_type": "t"}""")]
    [InlineData("/v1/awe/policies", "name", """{"policy_key": "dup.c", "name": "n", "artifact_type": "t", "stages": [{"name": "s", "name": "t", "stage_order": 1, "on_empty": "skip"}]}""")]
    [InlineData("/v1/awe/requests", "policy_key", """{"policy_key": "x", "policy_key": "y", "artifact_type": "t", "artifact_id": "a"}""")]
    [InlineData("/v1/awe/delegations", "user_id", """{"user_id": "a", "user_id": "b", "delegate_to": "c", "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-02T00:00:00Z"}""")]
    public async Task A_field_given_twice_is_400_naming_it(string url, string field, string body)
    {
        var message = EnvelopeAssert.ErrorMessage(await fx.Admin.PostJson(url, body), HttpStatusCode.BadRequest, "AWE-015");

        Assert.Contains("Duplicate property", message);
        Assert.Contains($"'{field}'", message);
        EnvelopeAssert.Error(await fx.Admin.GetJson("/v1/awe/policies/dup.a/versions"), HttpStatusCode.NotFound, "AWE-001");
        EnvelopeAssert.Error(await fx.Admin.GetJson("/v1/awe/policies/dup.c/versions"), HttpStatusCode.NotFound, "AWE-001");
    }

    [Fact]
    public async Task A_token_with_a_claim_given_twice_is_refused()
    {
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"sub": "a", "sub": "b", "realm_access": {"roles": ["AWE_ADMIN"]}}""")).TrimEnd('=');
        var reply = await fx.App.ClientFor($"eyJhbGciOiJub25lIn0.{payload}.").GetJson("/v1/awe/policies");

        EnvelopeAssert.Error(reply, HttpStatusCode.Unauthorized, "AWE-013");
    }

    [Fact]
    public async Task Json_nested_too_deep_is_400_not_a_crash()
    {
        var deep = new StringBuilder();
        for (var i = 0; i < 200; i++) deep.Append("{\"a\":");
        deep.Append('1');
        for (var i = 0; i < 200; i++) deep.Append('}');

        EnvelopeAssert.Error(await fx.Admin.PostJson("/v1/awe/policies", deep.ToString()), HttpStatusCode.BadRequest, "AWE-015");
    }

    [Fact]
    public async Task An_empty_body_is_400_and_a_non_json_content_type_415()
    {
        var empty = await fx.Admin.SendAsync(HttpMethod.Post, "/v1/awe/policies", null);
        Assert.Contains("empty", EnvelopeAssert.ErrorMessage(empty, HttpStatusCode.BadRequest, "AWE-015"));

        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/awe/policies")
        {
            Content = new StringContent(Policy("env.text", Stage(1, "all", null, User("u-a"))).ToJsonString(), Encoding.UTF8, "text/plain"),
        };
        using var response = await fx.Admin.SendAsync(message);
        var raw = await response.Content.ReadAsStringAsync();
        var reply = new Reply(response.StatusCode, JsonNode.Parse(raw), raw);
        Assert.Contains("application/json", EnvelopeAssert.ErrorMessage(reply, HttpStatusCode.UnsupportedMediaType, "AWE-015"));
        EnvelopeAssert.Error(await fx.Admin.GetJson("/v1/awe/policies/env.text/versions"), HttpStatusCode.NotFound, "AWE-001");
    }

    [Fact]
    public async Task Text_that_postgres_cannot_store_is_refused_not_a_500()
    {
        // PostgreSQL text and jsonb cannot hold U+0000; a body carrying it is the caller's mistake.
        var document = Policy("env.nul", Stage(1, "all", null, User("u-a")));
        document["name"] = "bad\u0000name";
        var errors = EnvelopeAssert.Error(await fx.Admin.PostJson("/v1/awe/policies", document), HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal("name", (string?)errors[0]!["path"]);

        var inRule = Policy("env.nul", Stage(1, "all", null, User("u-\u0000a")));
        errors = EnvelopeAssert.Error(await fx.Admin.PostJson("/v1/awe/policies", inRule), HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal("stages[0].rules[0].rule_value.user_id", (string?)errors[0]!["path"]);

        var inKey = Policy("env.nul", Stage(1, "all", null, User("u-a")));
        inKey["stages"]![0]!["skip_if"] = JsonNode.Parse("{\"==\": [{\"var\": \"a\\u0000b\"}, 1]}");
        EnvelopeAssert.Error(await fx.Admin.PostJson("/v1/awe/policies", inKey), HttpStatusCode.UnprocessableEntity, "AWE-012");

        EnvelopeAssert.Error(await fx.Admin.GetJson("/v1/awe/policies/env.nul/versions"), HttpStatusCode.NotFound, "AWE-001");
        // In a query value it reaches the database; the server answers 400 rather than fail. (A %00 in the path is refused
        // by the server's URL decoder before routing.)
        EnvelopeAssert.Error(await fx.Admin.GetJson("/v1/awe/admin/audit?actor=a%00b"), HttpStatusCode.BadRequest, "AWE-015");
        EnvelopeAssert.Error(await fx.Admin.GetJson("/v1/awe/requests?artifact_id=a%00b"), HttpStatusCode.BadRequest, "AWE-015");

        // Requests carry free-form context: the same check covers it, path and all.
        await CreateActiveAsync(fx.Admin, Policy("env.nul.req", Stage(1, "all", null, User("u-a"))));
        var request = await fx.Admin.PostJson("/v1/awe/requests", new JsonObject
        {
            ["policy_key"] = "env.nul.req", ["artifact_type"] = "test.artifact", ["artifact_id"] = "a-1",
            ["context"] = new JsonObject { ["notes"] = new JsonArray("ok", "bad\u0000") },
        });
        errors = EnvelopeAssert.Error(request, HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal("context.notes[1]", (string?)errors[0]!["path"]);
        Assert.Empty((await fx.Admin.GetJson("/v1/awe/requests?artifact_type=test.artifact")).Expect(HttpStatusCode.OK).Json.AsArray());
    }

    [Fact]
    public async Task The_openapi_document_lists_the_api()
    {
        var reply = await fx.App.CreateClient().GetJson("/v1/awe/openapi.json");
        reply.Expect(HttpStatusCode.OK);

        Assert.StartsWith("3.", (string?)reply.Json["openapi"]);
        var paths = reply.Json["paths"]!.AsObject().Select(p => p.Key).ToHashSet();
        foreach (var path in new[]
                 {
                     "/v1/awe/health", "/v1/awe/version", "/v1/awe/config",
                     "/v1/awe/policies", "/v1/awe/policies/{key}", "/v1/awe/policies/{key}/versions", "/v1/awe/policies/{key}/versions/{version}",
                     "/v1/awe/policies/{key}/versions/{version}/activate", "/v1/awe/policies/{key}/versions/{version}/deactivate",
                     "/v1/awe/policies/{key}/versions/{version}/simulate", "/v1/awe/policies/{key}/versions/{version}/workflow",
                     "/v1/awe/requests", "/v1/awe/requests/{id}", "/v1/awe/requests/{id}/cancel", "/v1/awe/requests/{id}/events",
                     "/v1/awe/requests/{id}/workflow", "/v1/awe/tasks", "/v1/awe/tasks/{id}/claim", "/v1/awe/tasks/{id}/decision",
                     "/v1/awe/tasks/{id}/reassign", "/v1/awe/delegations", "/v1/awe/delegations/{id}", "/v1/awe/admin/audit",
                 })
            Assert.Contains(path, paths);
        var policies = reply.Json["paths"]!["/v1/awe/policies"]!.AsObject();
        Assert.True(policies.ContainsKey("get") && policies.ContainsKey("post"));
    }

    [Fact]
    public async Task The_docs_page_serves_the_interactive_ui()
    {
        var client = fx.App.CreateClient(); // follows the redirect from /docs to /docs/
        using var response = await client.GetAsync("/v1/awe/docs");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
        // The page loads its script and points it at the OpenAPI document (resolved against the site root).
        Assert.Contains("v1/awe/openapi.json", html);
        Assert.Contains("<script src=\"scalar.js\">", html);
        using var script = await client.GetAsync("/v1/awe/docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 10_000);
    }

    [Fact]
    public async Task Envelope_content_type_is_json()
    {
        using var response = await fx.App.CreateClient().GetAsync("/v1/awe/nowhere");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var health = await fx.App.CreateClient().GetAsync("/v1/awe/health");
        Assert.Equal("application/json", health.Content.Headers.ContentType?.MediaType);
    }
}
