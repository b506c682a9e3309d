using System.Text.Json.Nodes;
using Awe.Activities.Model;
using Awe.Activities.Policies;
using Microsoft.OpenApi;
using static Awe.Host.OpenApi.SchemaKit;

namespace Awe.Host.OpenApi;

/// <summary>
/// The request bodies as JSON Schema. Bodies are read as JSON trees and checked by our own readers (every problem at
/// once, with its path); these schemas describe what those readers accept, built from the same vocabulary and limits.
/// Tests feed the examples and bodies made invalid one field at a time through both, so the two cannot drift apart.
/// Cross-field rules a schema cannot state plainly (unique stage_order, reachable quorums, consecutive parallel groups)
/// are in the descriptions.
/// </summary>
internal static class RequestSchemas
{
    public static IReadOnlyDictionary<string, IOpenApiSchema> Build(OpenApiDocument document)
    {
        IOpenApiSchema Ref(string id) => new OpenApiSchemaReference(id, document);

        var rule = Closed("An approver (or observer) rule of a stage. rule_value's fields depend on rule_type.", ["rule_type", "rule_value"],
            ("id", Ignored("rule id")),
            ("rule_type", Enum(PolicyVocabulary.RuleTypes, description: "how approvers are found: a named user, holders of a Keycloak role, members of a group, a JSONLogic expression over the request context, or an HTTP resolver")),
            ("rule_value", new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "user: {user_id}; role: {role, client?}; group: {group, include_subgroups?}; expression: {logic}; http: {url}",
                AnyOf = [Ref("UserRuleValue"), Ref("RoleRuleValue"), Ref("GroupRuleValue"), Ref("ExpressionRuleValue"), Ref("HttpRuleValue")],
            }),
            ("kind", Enum(PolicyVocabulary.RuleKinds, "approver", "observers are told about the stage but never vote").OrNull()),
            ("required", Bool("this approver's approval is needed for the stage to pass (not for observers)").OrNull()));
        rule.AllOf =
        [
            When("rule_type", "user", RuleValue("UserRuleValue")),
            When("rule_type", "role", RuleValue("RoleRuleValue")),
            When("rule_type", "group", RuleValue("GroupRuleValue")),
            When("rule_type", "expression", RuleValue("ExpressionRuleValue")),
            When("rule_type", "http", RuleValue("HttpRuleValue")),
            When("kind", "observer", new OpenApiSchema
            {
                Properties = new Dictionary<string, IOpenApiSchema> { ["required"] = new OpenApiSchema { Not = new OpenApiSchema { Enum = [JsonValue.Create(true)] } } },
            }),
        ];
        OpenApiSchema RuleValue(string id) => new() { Properties = new Dictionary<string, IOpenApiSchema> { ["rule_value"] = Ref(id) } };

        var stage = Closed(
            "One stage. Stages run in stage_order (unique, ≥ 1); consecutive stages sharing a parallel_group run together. " +
            "Unless on_empty is 'skip', rules must hold at least one approver rule. With only user rules, any-n and quorum " +
            "cannot ask for more approvals (mode_value) than there are distinct users.",
            ["name", "stage_order"],
            ("id", Ignored("stage id")),
            ("name", Str(255)),
            ("stage_order", Int(1, description: "position of the stage; unique within the policy")),
            ("mode", Enum(PolicyVocabulary.Modes, "all", "all: every approver; any-n: mode_value approvals; quorum: mode_value approvals; percentage: mode_value % of approvers. One reject vetoes").OrNull()),
            ("mode_value", Int(1, description: "the number (any-n, quorum) or percentage (1–100) of approvals needed").OrNull()),
            ("sla_hours", Int(1, PolicyReader.MaxSlaHours, "deadline of the stage's tasks, in hours (or sla; not both)").OrNull()),
            ("sla", Duration("deadline of the stage's tasks as an ISO-8601 duration, e.g. PT30M, P2D, PT5S (or sla_hours; not both)").OrNull()),
            ("remind_every", Duration("remind open assignees this often until they decide, e.g. PT4H").OrNull()),
            ("calendar", Str(64, "a business calendar of awe.calendars: the deadline counts working time only").OrNull()),
            ("skip_if", Ref("JsonLogicRule")),
            ("on_empty", Enum(PolicyVocabulary.OnEmpty, "block", "what happens when the rules resolve to nobody: skip the stage, or block (reject) the request").OrNull()),
            ("parallel_group", Int(int.MinValue, description: "stages with the same number and consecutive stage_order run in parallel").OrNull()),
            ("on_breach", Enum(PolicyVocabulary.OnBreach, description: "what happens when the deadline passes; needs sla_hours or sla, and 'escalate' needs escalation_rules").OrNull()),
            ("escalation_rules", ArrayOf(Ref("RuleIn"), "who gets the stage when on_breach is 'escalate'").OrNull()),
            ("rules", ArrayOf(Ref("RuleIn")).OrNull()));
        stage.AllOf =
        [
            When("mode", "percentage", new OpenApiSchema { Properties = new Dictionary<string, IOpenApiSchema> { ["mode_value"] = Int(1, 100).OrNull() } }),
            When("on_breach", "escalate", new OpenApiSchema
            {
                Required = new HashSet<string> { "escalation_rules" },
                Properties = new Dictionary<string, IOpenApiSchema> { ["escalation_rules"] = new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1 } },
            }),
            new OpenApiSchema
            {
                // Unless an empty stage may pass, rules must hold an approver: a rule that is not an observer.
                If = new OpenApiSchema
                {
                    Required = new HashSet<string> { "on_empty" },
                    Properties = new Dictionary<string, IOpenApiSchema> { ["on_empty"] = new OpenApiSchema { Const = "skip" } },
                },
                Else = new OpenApiSchema
                {
                    Required = new HashSet<string> { "rules" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["rules"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Array,
                            Contains = new OpenApiSchema
                            {
                                Not = new OpenApiSchema
                                {
                                    Required = new HashSet<string> { "kind" },
                                    Properties = new Dictionary<string, IOpenApiSchema> { ["kind"] = new OpenApiSchema { Const = "observer" } },
                                },
                            },
                        },
                    },
                },
            },
            new OpenApiSchema
            {
                If = new OpenApiSchema
                {
                    Required = new HashSet<string> { "on_breach" },
                    Properties = new Dictionary<string, IOpenApiSchema> { ["on_breach"] = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
                Then = new OpenApiSchema
                {
                    AnyOf =
                    [
                        new OpenApiSchema
                        {
                            Required = new HashSet<string> { "sla_hours" },
                            Properties = new Dictionary<string, IOpenApiSchema> { ["sla_hours"] = new OpenApiSchema { Type = JsonSchemaType.Integer } },
                        },
                        new OpenApiSchema
                        {
                            Required = new HashSet<string> { "sla" },
                            Properties = new Dictionary<string, IOpenApiSchema> { ["sla"] = new OpenApiSchema { Type = JsonSchemaType.String } },
                        },
                    ],
                },
            },
        ];

        var policy = Closed("A policy version as authors write it: the body of POST /policies, PUT /policies/{key} and PATCH of a draft.",
            ["policy_key", "name", "artifact_type"],
            ("policy_key", Str(128, "stable key of the policy; letters, digits and . _ - :", pattern: "^[A-Za-z0-9._:-]+$")),
            ("name", Str(255)),
            ("description", Str(1024, nonBlank: false).OrNull()),
            ("artifact_type", Str(128, "the kind of artifact this policy approves; requests must name the same")),
            ("forbid_self_approval", Bool("neither the requester nor the caller who created the request approves it").OrNull()),
            ("forbid_repeat_approvers", Bool("a person approves a request at most once, in whichever stage").OrNull()),
            ("request_ttl", Duration("default lifetime of a request under this policy (ISO-8601 duration); at its end the request expires").OrNull()),
            ("calendar", Str(64, "a business calendar of awe.calendars for every stage's deadline (a stage may name its own)").OrNull()),
            ("stages", ArrayOf(Ref("StageIn")).OrNull()),
            ("id", Ignored("policy id")), ("version", Ignored("version number")), ("status", Ignored("status")),
            ("created_by", Ignored("author")), ("created_at", Ignored("creation time")), ("updated_at", Ignored("last change")));
        policy.Example = Examples.Policy;

        return new Dictionary<string, IOpenApiSchema>
        {
            ["PolicyIn"] = policy,
            ["StageIn"] = stage,
            ["RuleIn"] = rule,
            ["UserRuleValue"] = Open("rule_type user", ["user_id"], ("user_id", Str(128, "the assignee id (Keycloak username)"))),
            ["RoleRuleValue"] = Open("rule_type role", ["role"], ("role", Str(255)), ("client", Str(255, "a client role of this client; a realm role when absent").OrNull())),
            ["GroupRuleValue"] = Open("rule_type group", ["group"], ("group", Str(1024, "group path, e.g. /registry/officers")),
                ("include_subgroups", Bool().OrNull())),
            ["ExpressionRuleValue"] = Open("rule_type expression", ["logic"],
                ("logic", new OpenApiSchema { Description = "a JSONLogic rule over the request context that yields a user id or a list of user ids" })),
            ["HttpRuleValue"] = Open("rule_type http", ["url"], ("url", Str(2048, "absolute http(s) URL of the resolver", pattern: "^[Hh][Tt][Tt][Pp][Ss]?://", format: "uri"))),
            ["JsonLogicRule"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object | JsonSchemaType.Null,
                Description = "a JSONLogic rule object over the request context, e.g. {\"<\": [{\"var\": \"amount\"}, 1000]}; when it holds, the stage is skipped",
            },
            ["CreateRequestIn"] = Example(Closed(
                "Ask for an artifact to be approved under the active version of policy_key. Send an Idempotency-Key header to make retries safe.",
                ["policy_key", "artifact_type", "artifact_id"],
                ("policy_key", Str(128)),
                ("artifact_type", Str(128, "must equal the policy's artifact_type")),
                ("artifact_id", Str(255)),
                ("context", AnyObject("facts about the artifact that skip_if and expression rules read").OrNull()),
                ("callback_url", Str(2048, "where to POST the request's events (http(s); private addresses only when awe.outbound.allow_private_networks)", format: "uri").OrNull()),
                ("callback_secret_id", Str(36, "id of one of the caller's callback secrets that signs the webhooks").OrNull()),
                ("requester", Str(UserIds.MaxLength, "who asks (defaults to the caller); only AWE_ADMIN and service accounts may name someone else").OrNull()),
                ("expires_at", Str(64, "when the request expires: RFC 3339 with an offset, in the future (or expires_in; not both)", format: "date-time").OrNull()),
                ("expires_in", Duration("how long until the request expires, as an ISO-8601 duration (or expires_at; not both)").OrNull())), Examples.CreateRequest),
            ["CancelRequestIn"] = Example(Closed("Optional body of a cancellation.", [],
                ("reason", Str(2000, nonBlank: false).OrNull()), ("actor", Ignored("actor (the caller is recorded)"))), new JsonObject { ["reason"] = "withdrawn by the applicant" }),
            ["DecisionIn"] = Example(Closed("A decision on a task.", ["action"],
                ("action", Enum(DecisionAction.All)),
                ("comment", Str(10_000, nonBlank: false).OrNull()),
                ("attachments_ref", Str(2048, "a reference to supporting documents", nonBlank: false).OrNull())), Examples.Decision),
            ["ReassignIn"] = Example(Closed("Move a live task to another person.", ["new_assignee"],
                ("new_assignee", Str(128)), ("reason", Str(2000, nonBlank: false).OrNull())), new JsonObject { ["new_assignee"] = "u-bob", ["reason"] = "alice is on leave" }),
            ["DelegationIn"] = Example(Closed("Tasks opened for user_id between starts_at and ends_at go to delegate_to.", ["user_id", "delegate_to", "starts_at", "ends_at"],
                ("user_id", Str(128)), ("delegate_to", Str(128, "must differ from user_id")),
                ("starts_at", Str(64, "ISO 8601 timestamp", format: "date-time")),
                ("ends_at", Str(64, "ISO 8601 timestamp, later than starts_at", format: "date-time")),
                ("reason", Str(2000, nonBlank: false).OrNull())),
                new JsonObject { ["user_id"] = "u-alice", ["delegate_to"] = "u-bob", ["starts_at"] = "2026-12-01T00:00:00Z", ["ends_at"] = "2026-12-15T00:00:00Z", ["reason"] = "holiday" }),
            ["SimulateIn"] = Example(Closed("Optional body of a simulation.", [],
                ("context", AnyObject("the request context to evaluate skip_if and expression rules against").OrNull()),
                ("requester", Str(UserIds.MaxLength, "the requester to apply forbid_self_approval to (defaults to the caller)").OrNull()),
                ("created_by", Str(UserIds.MaxLength, "the caller creating the request, also excluded by forbid_self_approval (defaults to the caller)").OrNull()),
                ("prior_approvers", Ignored("prior approvers"))), new JsonObject { ["context"] = new JsonObject { ["amount"] = 500 }, ["requester"] = "u-carol" }),
            ["CallbackSecretIn"] = Example(Closed("Issue a webhook signing secret for a caller service.", ["caller_service"],
                ("caller_service", Str(128, "the token subject (sub) of the calling service"))), new JsonObject { ["caller_service"] = "registry-service" }),
            ["RotateSecretIn"] = Example(Closed("Optional body of a rotation.", [],
                ("grace_seconds", Int(0, 30 * 24 * 3600, "how long the old secret keeps signing beside the new one (default awe.webhook.secret_rotation_grace_seconds)").OrNull())),
                new JsonObject { ["grace_seconds"] = 3600 }),
            ["BulkRetryIn"] = Example(Closed("Filter of exhausted deliveries to send again; every field is optional.", [],
                ("request_id", Str(36).OrNull()), ("event_type", Str(32).OrNull()),
                ("since", Str(64, "ISO 8601 timestamp: deliveries created at or after it", format: "date-time").OrNull()),
                ("limit", Int(1, 10_000, "at most this many (default 1000)").OrNull())),
                new JsonObject { ["event_type"] = "request_approved", ["since"] = "2026-11-01T00:00:00Z", ["limit"] = 100 }),
        };
    }

    private static OpenApiSchema Example(OpenApiSchema schema, JsonNode example)
    {
        schema.Example = example;
        return schema;
    }
}
