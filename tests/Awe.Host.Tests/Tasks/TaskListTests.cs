using System.Net;
using System.Text.Json.Nodes;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Tests.Requests;
using static Awe.Host.Tests.Infrastructure.Policies;

namespace Awe.Host.Tests.Tasks;

/// <summary>GET /v1/awe/tasks (reference §1.5): assignee selection, filters, search and pagination.</summary>
public sealed class TaskListTests(PostgresAppFixture f) : IClassFixture<PostgresAppFixture>
{
    private async Task<JsonNode> ListAsync(HttpClient caller, string query) =>
        (await caller.GetJson($"/v1/awe/tasks?{query}")).Expect(HttpStatusCode.OK).Json;

    // ---- assignee=me: which claim is "me" ----

    [Theory]
    //          claims present in the token                  whose task the caller sees
    [InlineData("sub,username,preferred_username",          "preferred_username")]
    [InlineData("sub,username",                             "username")]
    [InlineData("sub",                                      "sub")]
    [InlineData("sub,username,blank preferred_username",    "username")]
    [InlineData("sub,blank username",                       "sub")]
    public async Task Assignee_me_is_preferred_username_else_username_else_sub(string claims, string expected)
    {
        var ids = new Dictionary<string, string>
        {
            ["preferred_username"] = Flow.Unique("pref"), ["username"] = Flow.Unique("user"), ["sub"] = Flow.Unique("sub"),
        };
        var key = await Flow.OneStageAsync(f.Admin, "any-n", 1, ids.Values.ToArray());
        var request = (await Flow.CreateAsync(f.Admin, key)).RequestId();
        var token = new JsonObject();
        foreach (var claim in claims.Split(','))
        {
            if (claim.StartsWith("blank ")) token[claim["blank ".Length..]] = "  ";
            else token[claim] = ids[claim];
        }
        var caller = f.App.ClientFor(Tokens.Encode(token));

        foreach (var query in new[] { $"request_id={request}", $"assignee=me&request_id={request}" })
        {
            var page = await ListAsync(caller, query);
            var task = Assert.Single(page["items"].Items());
            Assert.Equal(ids[expected], task.Str("assignee"));
            Assert.Equal(1, (int)page["total"]!);
        }
    }

    // ---- assignee=* and explicit assignees ----

    [Theory]
    //          caller    query                        expected "assignee:status", sorted
    [InlineData("bob",    "assignee=*",                "alice:completed,bob:open")]
    [InlineData("carol",  "assignee=*",                "alice:completed,carol:open")]
    [InlineData("alice",  "assignee=*",                "alice:completed")]
    [InlineData("bob",    "assignee=*&status=open",    "bob:open,carol:open")]
    [InlineData("bob",    "assignee=*&status=completed", "alice:completed")]
    [InlineData("bob",    "assignee=*&status=skipped", "")]
    [InlineData("bob",    "assignee=carol",            "carol:open")]
    [InlineData("bob",    "assignee=alice",            "alice:completed")]
    [InlineData("bob",    "",                          "bob:open")]
    [InlineData("bob",    "assignee=me",               "bob:open")]
    public async Task Assignee_star_shows_everyone_s_finished_tasks_plus_the_caller_s_open_ones(string caller, string query, string expected)
    {
        var users = new[] { "alice", "bob", "carol" }.ToDictionary(n => n, Flow.Unique);
        var key = await Flow.OneStageAsync(f.Admin, "all", null, users.Values.ToArray());
        var created = await Flow.CreateAsync(f.Admin, key);
        (await f.DecideAsync(created.TaskOf(users["alice"]), "approve")).Expect(HttpStatusCode.Created);
        foreach (var (name, id) in users) query = query.Replace($"assignee={name}", $"assignee={id}");

        var page = await ListAsync(f.As(users[caller]), $"{query}&request_id={created.RequestId()}");

        var names = users.ToDictionary(p => p.Value, p => p.Key);
        Assert.Equal(expected, string.Join(",", page["items"].Items().Select(t => $"{names[t.Str("assignee")]}:{t.Str("status")}").Order()));
        Assert.Equal(page["items"].Items().Length, (int)page["total"]!);
    }

    // ---- filters and search ----

    // Dana's tasks are only read, so the theory rows share one set per fixture (xunit runs a class's tests one at a time).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<PostgresAppFixture,
        Task<(string Dana, Func<string, string> Fill, Dictionary<string, string> Labels)>> DanaWorlds = new();

    private Task<(string Dana, Func<string, string> Fill, Dictionary<string, string> Labels)> DanaAsync() =>
        DanaWorlds.GetValue(f, _ => BuildDanaAsync());

    /// <summary>
    /// Dana's four tasks: r1 (policy P1, open, context district "Northern Hills"), r2 (P1, claimed, district south),
    /// r3 (P2 of artifact type T2, open, a nested beneficiary name), r4 (P1, completed), created in that order.
    /// </summary>
    private async Task<(string Dana, Func<string, string> Fill, Dictionary<string, string> Labels)> BuildDanaAsync()
    {
        var dana = Flow.Unique("dana");
        var p1 = await Flow.OneStageAsync(f.Admin, "all", null, dana);
        var t2 = Flow.Unique("type");
        var p2 = await Flow.PolicyAsync(f.Admin, p => p.With("artifact_type", t2), Stage(1, "all", null, User(dana)));
        var r1 = await Flow.CreateAsync(f.Admin, p1, Flow.J("""{"district": "Northern Hills", "amount": 120}""").AsObject());
        var r2 = await Flow.CreateAsync(f.Admin, p1, Flow.J("""{"district": "south"}""").AsObject(), artifactId: "case-0042");
        (await f.As(dana).PostJson($"/v1/awe/tasks/{r2.TaskOf(dana).Str("id")}/claim")).Expect(HttpStatusCode.OK);
        var r3 = await Flow.CreateAsync(f.Admin, p2, Flow.J("""{"beneficiary": {"name": "ÅSA Lindqvist"}}""").AsObject(), artifactType: t2);
        var r4 = await Flow.CreateAsync(f.Admin, p1, Flow.J("""{"district": "east"}""").AsObject());
        (await f.DecideAsync(r4.TaskOf(dana), "approve", "fine")).Expect(HttpStatusCode.Created);
        var labels = new Dictionary<string, string>
        {
            [r1.RequestId()] = "r1", [r2.RequestId()] = "r2", [r3.RequestId()] = "r3", [r4.RequestId()] = "r4",
        };
        string Fill(string q) => q.Replace("{P1}", p1).Replace("{P2}", p2).Replace("{T2}", t2).Replace("{R2}", r2.RequestId());
        return (dana, Fill, labels);
    }

    [Theory]
    //          query                                   dana's tasks, newest first
    [InlineData("",                                     "r4,r3,r2,r1")]
    [InlineData("status=open",                          "r3,r1")]
    [InlineData("status=claimed",                       "r2")]
    [InlineData("status=completed",                     "r4")]
    [InlineData("status=skipped",                       "")]
    [InlineData("request_id={R2}",                      "r2")]
    [InlineData("artifact_type={T2}",                   "r3")]
    [InlineData("artifact_type=test.artifact",          "r4,r2,r1")]
    [InlineData("policy_key={P1}",                      "r4,r2,r1")]
    [InlineData("policy_key={P2}",                      "r3")]
    [InlineData("policy_key={P1}&status=open",          "r1")]
    [InlineData("search_text=northern",                 "r1")]
    [InlineData("search_text=NORTHERN%20HILLS",         "r1")]
    [InlineData("search_text=%20%20hills%20",           "r1")]
    [InlineData("search_text=district:south",           "r2")]
    [InlineData("search_text=DISTRICT",                 "r4,r2,r1")]
    [InlineData("search_text=amount:120",               "r1")]
    [InlineData("search_text=åsa%20lindqvist",          "r3")]
    [InlineData("search_text=beneficiary.name",         "r3")]
    [InlineData("search_text=case-0042",                "r2")]
    [InlineData("search_text=no-such-words",            "")]
    [InlineData("search_text=south&status=open",        "")]
    public async Task Filters_and_search_narrow_the_caller_s_tasks(string query, string expected)
    {
        var (dana, fill, labels) = await DanaAsync();

        var page = await ListAsync(f.As(dana), fill(query));

        Assert.Equal(expected, string.Join(",", page["items"].Items().Select(t => labels[t.Str("request_id")])));
        Assert.Equal(page["items"].Items().Length, (int)page["total"]!);
    }

    [Theory]
    //          search_text (URL-encoded)   matches (notes: pq%, pqr, a_b, axb, C:\tmp, C:tmp)
    [InlineData("pq%25",                     "pq%")]
    [InlineData("pq",                        "pq%,pqr")]
    [InlineData("a_b",                       "a_b")]
    [InlineData("C:%5Ctmp",                  "C:\\tmp")]
    [InlineData("%25",                       "pq%")]
    [InlineData("_",                         "a_b")]
    public async Task Search_text_is_a_literal_substring_not_a_LIKE_pattern(string search, string expected)
    {
        var frank = Flow.Unique("frank");
        var key = await Flow.OneStageAsync(f.Admin, "all", null, frank);
        var labels = new Dictionary<string, string>();
        foreach (var note in new[] { "pq%", "pqr", "a_b", "axb", "C:\\tmp", "C:tmp" })
            labels[(await Flow.CreateAsync(f.Admin, key, new JsonObject { ["note"] = note }, artifactId: "x")).RequestId()] = note;

        var page = await ListAsync(f.As(frank), $"search_text={search}");

        Assert.Equal(expected.Split(',').Order(), page["items"].Items().Select(t => labels[t.Str("request_id")]).Order());
    }

    [Fact]
    public async Task Items_carry_the_request_fields_and_the_decision()
    {
        var (dana, _, labels) = await DanaAsync();

        var items = (await ListAsync(f.As(dana), ""))["items"].Items().ToDictionary(t => labels[t.Str("request_id")]);

        Assert.Equal("Northern Hills", (string?)items["r1"]["context"]!["district"]);
        Assert.Equal(Flow.ArtifactType, items["r1"].Str("artifact_type"));
        Assert.Contains("district:Northern Hills", items["r1"].Str("search_text"));
        Assert.Equal("case-0042", items["r2"].Str("artifact_id"));
        Assert.NotNull(items["r2"]["claimed_at"]);
        Assert.Equal("approve", items["r4"].Str("decision_action"));
        Assert.Equal("fine", items["r4"].Str("decision_comment"));
        Assert.NotNull(items["r4"]["decision_id"]);
        Assert.Null(items["r1"]["decision_action"]);
    }

    // ---- pagination ----

    [Theory]
    //          page  page_size  items  pages
    [InlineData(null, null,      5,     1)]
    [InlineData(1,    2,         2,     3)]
    [InlineData(2,    2,         2,     3)]
    [InlineData(3,    2,         1,     3)]
    [InlineData(4,    2,         0,     3)]
    [InlineData(1,    5,         5,     1)]
    [InlineData(2,    4,         1,     2)]
    [InlineData(1,    1,         1,     5)]
    [InlineData(1,    100,       5,     1)]
    public async Task Pages_split_the_total(int? page, int? pageSize, int items, int pages)
    {
        var erin = Flow.Unique("erin");
        var key = await Flow.OneStageAsync(f.Admin, "all", null, erin);
        for (var i = 0; i < 5; i++) await Flow.CreateAsync(f.Admin, key);
        var query = string.Join("&", new[] { page is null ? null : $"page={page}", pageSize is null ? null : $"page_size={pageSize}" }.OfType<string>());

        var result = await ListAsync(f.As(erin), query);

        Assert.Equal(items, result["items"].Items().Length);
        Assert.Equal(5, (int)result["total"]!);
        Assert.Equal(page ?? 1, (int)result["page"]!);
        Assert.Equal(pageSize ?? 25, (int)result["page_size"]!);
        Assert.Equal(pages, (int)result["pages"]!);
    }

    [Fact]
    public async Task Pages_are_disjoint_and_together_list_every_task_newest_first()
    {
        var erin = Flow.Unique("erin");
        var key = await Flow.OneStageAsync(f.Admin, "all", null, erin);
        var requests = new List<string>();
        for (var i = 0; i < 5; i++) requests.Add((await Flow.CreateAsync(f.Admin, key)).RequestId());

        var seen = new List<string>();
        for (var p = 1; p <= 3; p++)
            seen.AddRange((await ListAsync(f.As(erin), $"page={p}&page_size=2"))["items"].Items().Select(t => t.Str("request_id")));

        Assert.Equal(Enumerable.Reverse(requests), seen);
    }

    [Theory]
    [InlineData(2147483647, 100)]
    [InlineData(21474837, 100)]
    public async Task A_page_far_beyond_the_end_is_empty_not_an_error(int page, int pageSize)
    {
        var erin = Flow.Unique("erin");
        await Flow.CreateAsync(f.Admin, await Flow.OneStageAsync(f.Admin, "all", null, erin));

        var result = await ListAsync(f.As(erin), $"page={page}&page_size={pageSize}");

        Assert.Empty(result["items"].Items());
        Assert.Equal(1, (int)result["total"]!);
        Assert.Equal(page, (int)result["page"]!);
    }

    [Fact]
    public async Task No_tasks_is_one_empty_page()
    {
        var result = await ListAsync(f.As(Flow.Unique("nobody")), "");

        Assert.Empty(result["items"].Items());
        Assert.Equal(0, (int)result["total"]!);
        Assert.Equal(1, (int)result["pages"]!);
    }

    [Theory]
    [InlineData("page=0",         "page")]
    [InlineData("page=-1",        "page")]
    [InlineData("page_size=0",    "page_size")]
    [InlineData("page_size=101",  "page_size")]
    [InlineData("status=done",    "status")]
    public async Task Out_of_range_parameters_are_422(string query, string path)
    {
        var reply = await f.As("anyone").GetJson($"/v1/awe/tasks?{query}");

        reply.ExpectError(HttpStatusCode.UnprocessableEntity, "AWE-012");
        Assert.Equal(path, (string?)reply.Json["errors"]![0]!["path"]);
    }

    [Theory]
    [InlineData("page=abc")]
    [InlineData("page_size=1.5")]
    public async Task A_non_numeric_page_is_a_client_error(string query)
    {
        var reply = await f.As("anyone").GetJson($"/v1/awe/tasks?{query}");

        Assert.True((int)reply.Status is >= 400 and < 500, reply.Raw);
        Assert.NotNull(reply.ErrorCode);
    }

    [Fact]
    public async Task Listing_needs_a_token()
    {
        (await f.App.CreateClient().GetJson("/v1/awe/tasks")).ExpectError(HttpStatusCode.Unauthorized, "AWE-013");
    }
}
