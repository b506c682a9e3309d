using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using static Awe.Host.Tests.Identity.IdentityRules;

namespace Awe.Host.Tests.Identity;

using Policies = Awe.Host.Tests.Infrastructure.Policies;

/// <summary>
/// role and group rules resolved through a Keycloak-compatible admin API, end to end through POST /requests:
/// realm roles, client roles, groups with and without subgroups, paging of large roles, one lookup per distinct
/// rule per activation, and every kind of Keycloak trouble answered 503 AWE-011 with nothing written.
/// </summary>
public sealed class KeycloakResolutionTests(KeycloakAppFixture fx) : IClassFixture<KeycloakAppFixture>
{
    private FakeKeycloak Kc => fx.Keycloak;

    [Fact]
    public async Task Realm_role_members_become_the_stage_approvers()
    {
        Kc.AddUser("rr-alice", "alice@example.org", "Alice", "A");
        Kc.AddUser("rr-bob");
        Kc.AddUser("rr-carol");
        Kc.AddRealmRole("RR_MANAGER", "managers", "rr-alice", "rr-bob");
        var key = await OneStagePolicyAsync(fx.Admin, "rr", "all", null, Role("RR_MANAGER"));

        var created = await Policies.RequestAsync(fx.Admin, key, artifactId: "rr-1");

        Assert.Equal("in_review", (string?)created["status"]);
        Assert.Equal(["rr-alice", "rr-bob"], Assignees(created));
        var started = await EventAsync(fx.Admin, (string)created["request_id"]!, "stage_started");
        Assert.Equal(["rr-alice", "rr-bob"], started["approvers"]!.AsArray().Select(a => (string)a!).Order());
        // The assignee id is the username, so the member's own token (preferred_username) can decide.
        var task = created["tasks"]!.AsArray().First(t => (string?)t!["assignee"] == "rr-alice")!;
        (await fx.As("rr-alice").PostJson($"/v1/awe/tasks/{task["id"]}/decision", new JsonObject { ["action"] = "approve" }))
            .Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Client_role_is_found_through_the_clients_internal_id()
    {
        Kc.AddUser("cr-dave");
        Kc.AddUser("cr-erin");
        var uuid = Kc.AddClient("registry-staff-portal", "Registry staff portal");
        Kc.AddClientRole("registry-staff-portal", "CHECKER", null, "cr-dave", "cr-erin");
        // A realm role of the same name must not be confused with the client role.
        Kc.AddUser("cr-realm-only");
        Kc.AddRealmRole("CHECKER", null, "cr-realm-only");
        var key = await OneStagePolicyAsync(fx.Admin, "cr", "any-n", 1, Role("CHECKER", client: "registry-staff-portal"));
        var lookups = Kc.CallCount(c => c.Path == Kc.AdminPath("clients") && c.Query.Contains("clientId=registry-staff-portal"));

        var created = await Policies.RequestAsync(fx.Admin, key, artifactId: "cr-1");

        Assert.Equal(["cr-dave", "cr-erin"], Assignees(created));
        Assert.Equal(lookups + 1, Kc.CallCount(c => c.Path == Kc.AdminPath("clients") && c.Query.Contains("clientId=registry-staff-portal")));
        Assert.Contains(Kc.Calls, c => c.Path == Kc.AdminPath($"clients/{uuid}/roles/CHECKER/users"));
    }

    [Fact]
    public async Task Group_members_resolve_by_path_and_subgroups_only_when_asked()
    {
        Kc.AddUser("gp-officer");
        Kc.AddUser("gp-deputy");
        Kc.AddUser("gp-clerk");
        Kc.AddUser("gp-other");
        Kc.AddGroup("/gp-states/d1/officers", "gp-officer");
        Kc.AddGroup("/gp-states/d1/officers/deputies", "gp-deputy");
        Kc.AddGroup("/gp-states/d1/officers/deputies/clerks", "gp-clerk", "gp-officer"); // officer twice: one task
        Kc.AddGroup("/gp-states/d2/officers", "gp-other");

        var direct = await OneStagePolicyAsync(fx.Admin, "gp", "any-n", 1, Group("/gp-states/d1/officers"));
        var nested = await OneStagePolicyAsync(fx.Admin, "gpsub", "any-n", 1, Group("gp-states/d1/officers/", includeSubgroups: true));

        Assert.Equal(["gp-officer"], Assignees(await Policies.RequestAsync(fx.Admin, direct, artifactId: "gp-1")));
        Assert.Equal(["gp-clerk", "gp-deputy", "gp-officer"], Assignees(await Policies.RequestAsync(fx.Admin, nested, artifactId: "gp-2")));
        // Keycloak 23+: the group carries only subGroupCount; children come from /children.
        Assert.Contains(Kc.Calls, c => c.Path.EndsWith("/children", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Subgroups_of_a_pre_23_keycloak_come_from_the_embedded_tree()
    {
        Kc.AddUser("lg-a");
        Kc.AddUser("lg-b");
        Kc.AddGroup("/lg-root", "lg-a");
        Kc.AddGroup("/lg-root/child/grandchild", "lg-b");
        var key = await OneStagePolicyAsync(fx.Admin, "lg", "any-n", 1, Group("/lg-root", includeSubgroups: true));
        Kc.LegacyGroupRepresentation = true;
        try
        {
            var childrenCalls = Kc.CallCount(c => c.Path.EndsWith("/children", StringComparison.Ordinal));
            Assert.Equal(["lg-a", "lg-b"], Assignees(await Policies.RequestAsync(fx.Admin, key, artifactId: "lg-1")));
            // Groups whose subtree is embedded need no /children call (only leaves, which embed nothing, may ask).
            Assert.True(Kc.CallCount(c => c.Path.EndsWith("/children", StringComparison.Ordinal)) - childrenCalls <= 1);
        }
        finally
        {
            Kc.LegacyGroupRepresentation = false;
        }
    }

    [Fact]
    public async Task Disabled_users_get_no_task()
    {
        Kc.AddUser("du-active");
        Kc.AddUser("du-gone", enabled: false);
        Kc.AddRealmRole("DU_ROLE", null, "du-active", "du-gone");
        var key = await OneStagePolicyAsync(fx.Admin, "du", "any-n", 1, Role("DU_ROLE"));

        Assert.Equal(["du-active"], Assignees(await Policies.RequestAsync(fx.Admin, key, artifactId: "du-1")));
    }

    /// <summary>
    /// Through simulate, which plans the stage exactly as a request would (same runner, same resolver) without
    /// writing 5,000 tasks: the resolution is what is under test here.
    /// </summary>
    [Fact]
    public async Task A_role_with_5000_members_resolves_completely_over_pages()
    {
        var members = Kc.AddUsers("big", 5000);
        Kc.AddRealmRole("BIG_ROLE");
        Kc.AddRealmRoleMembers("BIG_ROLE", members);
        var key = await OneStagePolicyAsync(fx.Admin, "big", "any-n", 1, Role("BIG_ROLE"));
        var path = Kc.AdminPath("roles/BIG_ROLE/users");

        var simulated = (await fx.Viewer.PostJson($"/v1/awe/policies/{key}/versions/1/simulate", new JsonObject { ["context"] = new JsonObject() }))
            .Expect(HttpStatusCode.OK).Json;

        var approvers = simulated["stages"]![0]!["resolved_approvers"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Equal(5000, approvers.Count);
        Assert.Equal(members.Select(m => m.Username), approvers); // all of them, in Keycloak's order, none twice
        // Pages of 500 until a short one: 10 full pages and an empty 11th, each with explicit first/max
        // (Keycloak's default page, when max is missing, is only 100).
        var pages = Kc.Calls.Where(c => c.Path == path).ToList();
        Assert.Equal(11, pages.Count);
        Assert.All(pages, p => Assert.Contains("max=500", p.Query));
        Assert.Equal(Enumerable.Range(0, 11).Select(i => $"first={i * 500}"), pages.Select(p => p.Query.TrimStart('?').Split('&').Single(q => q.StartsWith("first="))));
    }

    [Fact]
    public async Task Identical_rules_cost_one_lookup_per_activation_and_the_next_activation_looks_again()
    {
        Kc.AddUser("dd-one");
        Kc.AddUser("dd-two");
        Kc.AddUser("dd-late");
        Kc.AddRealmRole("DD_ROLE", null, "dd-one");
        Kc.AddGroup("/dd-group", "dd-two");
        var key = await OneStagePolicyAsync(fx.Admin, "dd", "any-n", 1,
            Role("DD_ROLE"), Role("DD_ROLE"), Role("DD_ROLE", kind: "observer"),
            Group("/dd-group"), Group("dd-group/"));
        var rolePath = Kc.AdminPath("roles/DD_ROLE/users");
        var groupLookups = Kc.CallCount(c => c.Path.StartsWith(Kc.AdminPath("group-by-path/dd-group"), StringComparison.Ordinal));

        var first = await Policies.RequestAsync(fx.Admin, key, artifactId: "dd-1");

        Assert.Equal(["dd-one", "dd-two"], Assignees(first));
        Assert.Equal(1, Kc.CallCount(rolePath));
        Assert.Equal(groupLookups + 1, Kc.CallCount(c => c.Path.StartsWith(Kc.AdminPath("group-by-path/dd-group"), StringComparison.Ordinal)));

        // Nothing is remembered across activations: a member added since is found by the next request.
        Kc.AddRealmRoleMembers("DD_ROLE", [Kc.User("dd-late")]);
        var second = await Policies.RequestAsync(fx.Admin, key, artifactId: "dd-2");
        Assert.Equal(["dd-late", "dd-one", "dd-two"], Assignees(second));
        Assert.Equal(2, Kc.CallCount(rolePath));
    }

    [Fact]
    public async Task A_stage_activated_by_a_decision_resolves_its_role()
    {
        Kc.AddUser("ds-second");
        Kc.AddRealmRole("DS_ROLE", null, "ds-second");
        var key = await Policies.CreateActiveAsync(fx.Admin, Policies.Policy(Key("ds"),
            Policies.Stage(1, "any-n", 1, Policies.User("ds-first")),
            Policies.Stage(2, "any-n", 1, Role("DS_ROLE"))));
        var created = await Policies.RequestAsync(fx.Admin, key, artifactId: "ds-1");

        var task = created["tasks"]![0]!;
        (await fx.As("ds-first").PostJson($"/v1/awe/tasks/{task["id"]}/decision", new JsonObject { ["action"] = "approve" }))
            .Expect(HttpStatusCode.Created);

        var tasks = (await fx.Admin.GetJson($"/v1/awe/tasks?assignee=ds-second&request_id={created["request_id"]}")).Expect(HttpStatusCode.OK).Json["items"]!.AsArray();
        Assert.Contains(tasks, t => (string?)t!["request_id"] == (string?)created["request_id"] && (int?)t!["stage_order"] == 2);
    }

    [Fact]
    public async Task Simulate_resolves_role_members_without_writing()
    {
        Kc.AddUser("sim-a");
        Kc.AddRealmRole("SIM_ROLE", null, "sim-a");
        var key = await OneStagePolicyAsync(fx.Admin, "sim", "any-n", 1, Role("SIM_ROLE"));

        var reply = (await fx.Viewer.PostJson($"/v1/awe/policies/{key}/versions/1/simulate", new JsonObject { ["context"] = new JsonObject() }))
            .Expect(HttpStatusCode.OK);

        Assert.Equal(["sim-a"], reply.Json["stages"]![0]!["resolved_approvers"]!.AsArray().Select(a => (string)a!));
    }

    [Fact]
    public async Task A_slow_keycloak_times_out_with_503_and_nothing_is_written()
    {
        Kc.AddUser("slow-a");
        Kc.AddRealmRole("SLOW_ROLE", null, "slow-a");
        var key = await OneStagePolicyAsync(fx.Admin, "slow", "any-n", 1, Role("SLOW_ROLE"));
        Kc.Slow("/roles/SLOW_ROLE/users", TimeSpan.FromSeconds(30));
        try
        {
            var watch = Stopwatch.StartNew();
            var reply = await TryRequestAsync(fx.Admin, key, "slow-1");

            reply.Expect(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("AWE-011", reply.ErrorCode);
            Assert.Contains($"did not answer within {KeycloakAppFixture.TimeoutSeconds} s", Message(reply));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
            Assert.Equal((0, 0, 0), await fx.RowsForArtifactAsync("slow-1"));
        }
        finally
        {
            Kc.ClearFaults();
        }
        // Once Keycloak answers again, the same request goes through.
        Assert.Equal(["slow-a"], Assignees(await Policies.RequestAsync(fx.Admin, key, artifactId: "slow-1")));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    public async Task A_failing_keycloak_is_503_with_the_status_and_nothing_is_written(int status)
    {
        Kc.AddUser($"fail-{status}");
        Kc.AddRealmRole($"FAIL_{status}", null, $"fail-{status}");
        var key = await OneStagePolicyAsync(fx.Admin, "fail", "any-n", 1, Role($"FAIL_{status}"));
        Kc.Fail($"/roles/FAIL_{status}/users", status);
        try
        {
            var reply = await TryRequestAsync(fx.Admin, key, $"fail-{status}");

            reply.Expect(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("AWE-011", reply.ErrorCode);
            Assert.Contains($"HTTP {status}", Message(reply));
            Assert.Contains($"FAIL_{status}", Message(reply));
            Assert.Equal((0, 0, 0), await fx.RowsForArtifactAsync($"fail-{status}"));
        }
        finally
        {
            Kc.ClearFaults();
        }
    }

    [Fact]
    public async Task A_stopped_keycloak_is_503_and_a_restarted_one_serves_again()
    {
        Kc.AddUser("down-a");
        Kc.AddRealmRole("DOWN_ROLE", null, "down-a");
        var key = await OneStagePolicyAsync(fx.Admin, "down", "any-n", 1, Role("DOWN_ROLE"));
        await Kc.StopAsync();
        try
        {
            var reply = await TryRequestAsync(fx.Admin, key, "down-1");

            reply.Expect(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("AWE-011", reply.ErrorCode);
            Assert.Contains("unreachable", Message(reply));
            Assert.Equal((0, 0, 0), await fx.RowsForArtifactAsync("down-1"));
        }
        finally
        {
            await Kc.RestartAsync();
        }
        Assert.Equal(["down-a"], Assignees(await Policies.RequestAsync(fx.Admin, key, artifactId: "down-1")));
    }

    [Fact]
    public async Task Missing_role_client_or_group_is_a_resolution_failure_naming_it()
    {
        var role = await OneStagePolicyAsync(fx.Admin, "nr", "any-n", 1, Role("NO_SUCH_ROLE"));
        var client = await OneStagePolicyAsync(fx.Admin, "nc", "any-n", 1, Role("X", client: "no-such-client"));
        var clientRole = await OneStagePolicyAsync(fx.Admin, "ncr", "any-n", 1, Role("NO_SUCH_ROLE", client: FakeKeycloak.PortalClientId));
        var group = await OneStagePolicyAsync(fx.Admin, "ng", "any-n", 1, Group("/no/such/group"));

        foreach (var (key, expected) in new[]
                 {
                     (role, "realm role 'NO_SUCH_ROLE' does not exist"), (client, "no client 'no-such-client'"),
                     (clientRole, $"client '{FakeKeycloak.PortalClientId}' has no role 'NO_SUCH_ROLE'"), (group, "group '/no/such/group' does not exist"),
                 })
        {
            var reply = await TryRequestAsync(fx.Admin, key, $"missing-{key}");
            reply.Expect(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("AWE-011", reply.ErrorCode);
            Assert.Contains(expected, Message(reply));
            Assert.Equal((0, 0, 0), await fx.RowsForArtifactAsync($"missing-{key}"));
        }
    }

    [Fact]
    public async Task A_service_account_without_view_users_is_told_which_roles_it_needs()
    {
        Kc.AddUser("sa-a");
        Kc.AddRealmRole("SA_ROLE", null, "sa-a");
        var key = await OneStagePolicyAsync(fx.Admin, "sa", "any-n", 1, Role("SA_ROLE"));
        Kc.ServiceAccountRoles.Remove("view-users");
        try
        {
            var reply = await TryRequestAsync(fx.Admin, key, "sa-1");

            reply.Expect(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("AWE-011", reply.ErrorCode);
            Assert.Contains("HTTP 403", Message(reply));
            Assert.Contains("view-users", Message(reply));
        }
        finally
        {
            Kc.ServiceAccountRoles.Add("view-users");
        }
    }
}
