using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Identity.IdentityRules;

namespace Awe.Host.Tests.Identity;

/// <summary>The admin UI's pickers under /v1/awe/admin/keycloak, read live from the (fake) Keycloak.</summary>
public sealed class KeycloakPickerTests(KeycloakAppFixture fx) : IClassFixture<KeycloakAppFixture>
{
    private FakeKeycloak Kc => fx.Keycloak;

    private static JsonArray List(Reply reply) => reply.Expect(HttpStatusCode.OK).Json.AsArray();

    [Fact]
    public async Task Users_are_searched_by_name_and_email_and_user_id_is_the_assignee_id()
    {
        Kc.AddUser("pk-anna", "anna.berg@example.org", "Anna", "Berg");
        Kc.AddUser("pk-anders");
        Kc.AddUser("pk-zed", "zed@example.org");

        var found = List(await fx.Viewer.GetJson("/v1/awe/admin/keycloak/users?q=pk-an"));

        Assert.Equal(2, found.Count);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["user_id"] = "pk-anders", ["username"] = "pk-anders", ["email"] = null, ["name"] = null }, found[0]), found.ToJsonString());
        Assert.True(JsonNode.DeepEquals(new JsonObject
        {
            ["user_id"] = "pk-anna", ["username"] = "pk-anna", ["email"] = "anna.berg@example.org", ["name"] = "Anna Berg",
        }, found[1]), found.ToJsonString());
        Assert.Equal(["pk-anna"], List(await fx.Viewer.GetJson("/v1/awe/admin/keycloak/users?q=anna.berg")).Select(u => (string)u!["user_id"]!));
        Assert.Equal(["pk-anna"], List(await fx.Viewer.GetJson("/v1/awe/admin/keycloak/users?q=Berg")).Select(u => (string)u!["user_id"]!));

        var one = List(await fx.Viewer.GetJson("/v1/awe/admin/keycloak/users?q=pk-&limit=1"));
        Assert.Single(one);
        Assert.Contains(Kc.Calls, c => c.Path == Kc.AdminPath("users") && c.Query.Contains("max=1") && c.Query.Contains("search=pk-"));
    }

    [Fact]
    public async Task Clients_come_sorted_by_client_id_with_their_names()
    {
        Kc.AddClient("zz-pk-last", "Last one");
        Kc.AddClient("AA-pk-first");

        var clients = List(await fx.Viewer.GetJson("/v1/awe/admin/keycloak/clients"));

        var ids = clients.Select(c => (string)c!["client_id"]!).ToList();
        Assert.Equal(ids.Order(StringComparer.OrdinalIgnoreCase), ids);
        Assert.Contains("AA-pk-first", ids);
        Assert.Contains("zz-pk-last", ids);
        Assert.Equal("AWE admin portal", (string?)clients.Single(c => (string?)c!["client_id"] == FakeKeycloak.PortalClientId)!["name"]);
        Assert.Equal(2, List(await fx.Viewer.GetJson("/v1/awe/admin/keycloak/clients?limit=2")).Count);
    }

    [Fact]
    public async Task Roles_are_realm_roles_or_the_roles_of_a_client()
    {
        Kc.AddRealmRole("PK_MANAGER", "Program managers");
        Kc.AddRealmRole("PK_CLERK");

        var realm = List(await fx.Viewer.GetJson("/v1/awe/admin/keycloak/roles?q=pk_"));
        Assert.True(JsonNode.DeepEquals(new JsonArray(
            new JsonObject { ["name"] = "PK_CLERK", ["client"] = null, ["description"] = null },
            new JsonObject { ["name"] = "PK_MANAGER", ["client"] = null, ["description"] = "Program managers" }), realm), realm.ToJsonString());

        var portal = List(await fx.Viewer.GetJson($"/v1/awe/admin/keycloak/roles?client={FakeKeycloak.PortalClientId}"));
        Assert.Equal(["AWE_ADMIN", "AWE_VIEWER"], portal.Select(r => (string)r!["name"]!));
        Assert.All(portal, r => Assert.Equal(FakeKeycloak.PortalClientId, (string?)r!["client"]));
        Assert.Equal("Read-only access to AWE", (string?)portal[1]!["description"]);

        var unknown = await fx.Viewer.GetJson("/v1/awe/admin/keycloak/roles?client=no-such-client");
        unknown.Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("AWE-012", unknown.ErrorCode);
        Assert.Contains("no client 'no-such-client'", Message(unknown));
    }

    [Fact]
    public async Task Groups_are_flattened_to_paths_and_a_search_lists_only_the_matches()
    {
        Kc.AddGroup("/pk-region/north/pk-officers");
        Kc.AddGroup("/pk-region/south/pk-officers");
        Kc.AddGroup("/pk-other");

        var officers = List(await fx.Viewer.GetJson("/v1/awe/admin/keycloak/groups?q=pk-officers"));
        Assert.True(JsonNode.DeepEquals(new JsonArray(
            new JsonObject { ["path"] = "/pk-region/north/pk-officers", ["name"] = "pk-officers" },
            new JsonObject { ["path"] = "/pk-region/south/pk-officers", ["name"] = "pk-officers" }), officers), officers.ToJsonString());

        var region = List(await fx.Viewer.GetJson("/v1/awe/admin/keycloak/groups?q=pk-region"));
        Assert.Equal(["/pk-region"], region.Select(g => (string)g!["path"]!));

        // A Keycloak before 23 embeds whole subtrees: everything is listed once, parents before children.
        Kc.LegacyGroupRepresentation = true;
        try
        {
            var all = List(await fx.Viewer.GetJson("/v1/awe/admin/keycloak/groups")).Select(g => (string)g!["path"]!).ToList();
            Assert.Equal(all.Distinct(), all);
            var mine = all.Where(p => p.StartsWith("/pk-", StringComparison.Ordinal)).ToList();
            Assert.Equal(["/pk-region", "/pk-region/north", "/pk-region/north/pk-officers", "/pk-region/south", "/pk-region/south/pk-officers", "/pk-other"], mine);
        }
        finally
        {
            Kc.LegacyGroupRepresentation = false;
        }
    }

    [Theory]
    [InlineData("users?limit=0")]
    [InlineData("users?limit=201")]
    [InlineData("clients?limit=0")]
    [InlineData("clients?limit=501")]
    [InlineData("roles?limit=501")]
    [InlineData("groups?limit=0")]
    [InlineData("groups?limit=201")]
    public async Task A_limit_out_of_bounds_is_422(string query)
    {
        var before = Kc.Calls.Count;

        var reply = await fx.Viewer.GetJson($"/v1/awe/admin/keycloak/{query}");

        reply.Expect(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("AWE-012", reply.ErrorCode);
        Assert.Contains("limit", Message(reply));
        Assert.Equal(before, Kc.Calls.Count);
    }

    [Fact]
    public async Task Pickers_need_a_viewer_or_admin_role()
    {
        (await fx.Admin.GetJson("/v1/awe/admin/keycloak/clients")).Expect(HttpStatusCode.OK);
        var plain = await fx.As("pk-nobody").GetJson("/v1/awe/admin/keycloak/users");
        plain.Expect(HttpStatusCode.Forbidden);
        Assert.Equal("AWE-008", plain.ErrorCode);
        (await fx.App.CreateClient().GetJson("/v1/awe/admin/keycloak/users")).Expect(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("users", "/users")]
    [InlineData("clients", "/clients")]
    [InlineData("roles", "/roles")]
    [InlineData("groups", "/groups")]
    public async Task A_failing_keycloak_is_503_AWE_011(string picker, string path)
    {
        Kc.Fail(Kc.AdminPath(path), 500);
        try
        {
            var reply = await fx.Viewer.GetJson($"/v1/awe/admin/keycloak/{picker}");

            reply.Expect(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("AWE-011", reply.ErrorCode);
            Assert.Contains("Keycloak admin API failed", Message(reply));
            Assert.Contains("HTTP 500", Message(reply));
        }
        finally
        {
            Kc.ClearFaults();
        }
    }

    [Fact]
    public async Task A_slow_keycloak_is_503_after_the_timeout()
    {
        Kc.Slow(Kc.AdminPath("users"), TimeSpan.FromSeconds(30));
        try
        {
            var reply = await fx.Viewer.GetJson("/v1/awe/admin/keycloak/users?q=x");

            reply.Expect(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("AWE-011", reply.ErrorCode);
            Assert.Contains($"did not answer within {KeycloakAppFixture.TimeoutSeconds} s", Message(reply));
        }
        finally
        {
            Kc.ClearFaults();
        }
    }
}
