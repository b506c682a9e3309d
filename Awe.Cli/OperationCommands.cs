using System.CommandLine;
using Awe.Client;

namespace Awe.Cli;

/// <summary>Day-to-day operations: requests, tasks, webhook deliveries.</summary>
internal static class OperationCommands
{
    public static IEnumerable<Command> Build(CliContext ctx) => [Requests(ctx), Tasks(ctx), Deliveries(ctx)];

    private static void WriteRequests(CliContext ctx, ParseResult p, IReadOnlyList<ApprovalRequest> rows)
    {
        if (ctx.Json(p)) ctx.WriteJson(rows);
        else ctx.WriteTable(["id", "policy", "artifact", "status", "stage", "created"], rows.Select(r => new[]
            { r.Id, $"{r.PolicyKey} v{r.PolicyVersion}", $"{r.ArtifactType}:{r.ArtifactId}", r.Status, r.CurrentStageOrder.ToString(), r.CreatedAt.ToString("u") }));
    }

    private static void WriteTasks(CliContext ctx, ParseResult p, IReadOnlyList<ApprovalTask> rows)
    {
        if (ctx.Json(p)) ctx.WriteJson(rows);
        else ctx.WriteTable(["id", "request", "stage", "assignee", "kind", "status", "decision"], rows.Select(t => new[]
            { t.Id, t.RequestId, t.StageOrder.ToString(), t.Assignee, t.Kind, t.Status, t.DecisionAction }));
    }

    private static void WriteDeliveries(CliContext ctx, ParseResult p, IReadOnlyList<Delivery> rows)
    {
        if (ctx.Json(p)) ctx.WriteJson(rows);
        else ctx.WriteTable(["id", "request", "event", "status", "attempt", "last_status", "last_error"], rows.Select(d => new[]
            { d.Id, d.RequestId, d.EventType, d.Status, d.Attempt.ToString(), d.LastStatusCode?.ToString(), d.LastError }));
    }

    private static Command Requests(CliContext ctx)
    {
        var status = new Option<string?>("--status") { Description = "pending, in_review, approved, rejected or cancelled" };
        var policy = new Option<string?>("--policy-key");
        var artifact = new Option<string?>("--artifact-id");
        var limit = new Option<int?>("--limit") { Description = "at most this many (1–100, default 50)" };
        var list = new Command("list", "Requests, newest first") { status, policy, artifact, limit };
        list.SetAction(async (p, ct) =>
        {
            WriteRequests(ctx, p, await ctx.Api(p).ListRequestsAsync(p.GetValue(status), p.GetValue(policy), artifactId: p.GetValue(artifact), limit: p.GetValue(limit), ct: ct));
            return ExitCodes.Ok;
        });

        var showId = new Argument<string>("id");
        var show = new Command("show", "One request and its journal") { showId };
        show.SetAction(async (p, ct) =>
        {
            var api = ctx.Api(p);
            var request = await api.GetRequestAsync(p.GetValue(showId)!, ct);
            var events = await api.GetEventsAsync(request.Id, ct);
            if (ctx.Json(p)) ctx.WriteJson(new { request, events });
            else
            {
                WriteRequests(ctx, p, [request]);
                ctx.Out.WriteLine();
                ctx.WriteTable(["seq", "event", "at"], events.Select(e => new[] { e.Seq.ToString(), e.EventType, e.CreatedAt.ToString("u") }));
            }
            return ExitCodes.Ok;
        });

        var cancelId = new Argument<string>("id");
        var reason = new Option<string?>("--reason");
        var cancel = new Command("cancel", "Cancel an open request (AWE_ADMIN or the service that created it)") { cancelId, reason };
        cancel.SetAction(async (p, ct) =>
        {
            WriteRequests(ctx, p, [await ctx.Api(p).CancelRequestAsync(p.GetValue(cancelId)!, new CancelRequest(p.GetValue(reason)), ct)]);
            return ExitCodes.Ok;
        });
        return new Command("requests", "Approval requests") { list, show, cancel };
    }

    private static Command Tasks(CliContext ctx)
    {
        var assignee = new Option<string?>("--assignee") { Description = "whose tasks (default: the caller's; * for all finished and your live ones)" };
        var status = new Option<string?>("--status") { Description = "open, claimed, completed, skipped, expired or reassigned" };
        var request = new Option<string?>("--request-id");
        var page = new Option<int?>("--page");
        var list = new Command("list", "Tasks, newest first") { assignee, status, request, page };
        list.SetAction(async (p, ct) =>
        {
            var result = await ctx.Api(p).ListTasksAsync(p.GetValue(assignee), p.GetValue(status), p.GetValue(request), page: p.GetValue(page), ct: ct);
            WriteTasks(ctx, p, result.Items);
            if (!ctx.Json(p)) ctx.Err.WriteLine($"page {result.Page} of {result.Pages} ({result.Total} tasks)");
            return ExitCodes.Ok;
        });

        var taskId = new Argument<string>("id");
        var action = new Argument<string>("action") { Description = "approve, reject or abstain" };
        action.AcceptOnlyFromAmong("approve", "reject", "abstain");
        var comment = new Option<string?>("--comment");
        var decide = new Command("decide", "Approve, reject or abstain on a task (its assignee or AWE_ADMIN)") { taskId, action, comment };
        decide.SetAction(async (p, ct) =>
        {
            var decision = await ctx.Api(p).DecideAsync(p.GetValue(taskId)!, new NewDecision(p.GetValue(action)!, p.GetValue(comment)), ct);
            if (ctx.Json(p)) ctx.WriteJson(decision);
            else ctx.Out.WriteLine($"{decision.Action} recorded on task {decision.TaskId}; request {decision.RequestId} is {decision.RequestStatus}");
            return ExitCodes.Ok;
        });
        return new Command("tasks", "Approval tasks") { list, decide };
    }

    private static Command Deliveries(CliContext ctx)
    {
        var status = new Option<string?>("--status") { Description = "pending, delivered or exhausted" };
        var request = new Option<string?>("--request-id");
        var limit = new Option<int?>("--limit");
        var list = new Command("list", "Webhook deliveries, newest first") { status, request, limit };
        list.SetAction(async (p, ct) =>
        {
            WriteDeliveries(ctx, p, await ctx.Api(p).ListDeliveriesAsync(p.GetValue(status), p.GetValue(request), limit: p.GetValue(limit), ct: ct));
            return ExitCodes.Ok;
        });

        var id = new Argument<string?>("id") { Description = "the delivery to send again (or --exhausted)", Arity = ArgumentArity.ZeroOrOne };
        var exhausted = new Option<bool>("--exhausted") { Description = "retry every exhausted delivery (narrow with --request-id, --event-type)" };
        var retryRequest = new Option<string?>("--request-id");
        var eventType = new Option<string?>("--event-type");
        var retry = new Command("retry", "Send deliveries again now (AWE_ADMIN)") { id, exhausted, retryRequest, eventType };
        retry.SetAction(async (p, ct) =>
        {
            var api = ctx.Api(p);
            if (p.GetValue(id) is { } one)
            {
                if (p.GetValue(exhausted)) throw new UsageException("give a delivery id or --exhausted, not both");
                WriteDeliveries(ctx, p, [await api.RetryDeliveryAsync(one, ct)]);
                return ExitCodes.Ok;
            }
            if (!p.GetValue(exhausted)) throw new UsageException("give a delivery id, or --exhausted to retry every exhausted delivery");
            var result = await api.RetryDeliveriesAsync(new DeliveryRetryFilter(p.GetValue(retryRequest), p.GetValue(eventType)), ct);
            if (ctx.Json(p)) ctx.WriteJson(result);
            else ctx.Out.WriteLine($"{result.Retried} exhausted deliveries queued again");
            return ExitCodes.Ok;
        });
        return new Command("deliveries", "Webhook deliveries") { list, retry };
    }
}
