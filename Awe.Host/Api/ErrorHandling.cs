using System.Diagnostics;
using System.Text.Json;
using Awe.Host.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Diagnostics;
using Awe.Activities.Resolution;
using Awe.Activities.Runtime;

namespace Awe.Host.Api;

/// <summary>
/// Turns every failure into the error envelope. Caller mistakes get a 4xx with a code and a message that
/// says what to change; only our own faults become 500, and those are logged with a trace id.
/// </summary>
public sealed class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> log, IOptions<AweOptions> options)
{
    public const string TraceHeader = "X-Trace-Id";

    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            CheckHeaderSize(ctx.Request, options.Value.Server.MaxHeaderBytes);
            await next(ctx);
        }
        catch (Exception e) when (!ctx.Response.HasStarted && !(e is OperationCanceledException && ctx.RequestAborted.IsCancellationRequested))
        {
            var trace = TraceId(ctx);
            var (status, errors) = Map(e, trace);
            if (e is ApproverResolutionException and not UnusableApproversException)
            {
                Observability.AweMetrics.ResolutionRefusals.Inc();
                log.LogWarning("Approver resolution failed on {Method} {Path}: {Message}", ctx.Request.Method, ctx.Request.Path, e.Message);
            }
            else if (status == 503 && Persistence.DbErrors.IsDatabaseUnavailable(e))
                // An outage, not a bug: one line, no stack trace (every request logs it while the database is down).
                log.LogWarning("{Method} {Path} answered 503: database unavailable ({Problem})", ctx.Request.Method, ctx.Request.Path, e.GetBaseException().Message);
            else if (status >= 500 && e is not AweException)
                log.LogError(e, "Unhandled error on {Method} {Path} (trace {Trace})", ctx.Request.Method, ctx.Request.Path, trace);
            else if (status >= 500)
                // A deliberate 5xx (e.g. Keycloak down behind a picker) whose answer says why: a warning, not a fault of ours.
                log.LogWarning("{Method} {Path} answered {Status}: {Message}", ctx.Request.Method, ctx.Request.Path, status, e.Message);
            ctx.Response.Clear();
            ctx.Response.Headers[TraceHeader] = trace;
            await Envelope.WriteErrorAsync(ctx, status, errors);
        }
    }

    /// <summary>
    /// The W3C trace id of this request (the caller's traceparent when it sent one), else the server's request id:
    /// what an operator searches the logs for.
    /// </summary>
    public static string TraceId(HttpContext ctx) =>
        Activity.Current is { } activity && activity.TraceId != default ? activity.TraceId.ToHexString() : ctx.TraceIdentifier;

    /// <summary>
    /// Kestrel's own header limit is set above awe.server.max_header_bytes so that an oversized header (a huge token)
    /// reaches this check and is answered in the envelope rather than with Kestrel's bodiless 431.
    /// </summary>
    private static void CheckHeaderSize(HttpRequest request, int max)
    {
        long total = 0;
        foreach (var (name, values) in request.Headers)
        {
            total += name.Length + 4; // ": " and CRLF
            foreach (var value in values) total += value?.Length ?? 0;
        }
        if (total > max)
            throw new AweException(StatusCodes.Status431RequestHeaderFieldsTooLarge, ErrorCodes.PayloadTooLarge,
                $"request headers take {total} bytes, more than the {max} this server accepts (awe.server.max_header_bytes); send a shorter token or fewer headers");
    }

    private static (int, IReadOnlyList<ApiError>) Map(Exception e, string trace) => e switch
    {
        AweException a => (a.Status, a.Errors),
        WorkflowStateException w => (409, [new ApiError(ErrorCodes.WrongState, w.Message)]),
        SegregationOfDutiesException s => (403, [new ApiError(ErrorCodes.SegregationOfDuties, s.Message)]),
        UnusableApproversException u => (422, [new ApiError(ErrorCodes.Invalid,
            $"{u.Message}. Nothing was changed")]),
        ApproverResolutionException r => (503, [new ApiError(ErrorCodes.ResolverUnavailable,
            $"approvers could not be resolved: {r.Message}. Nothing was changed; retry when the directory is reachable")]),
        BadHttpRequestException { StatusCode: 413 } => (413, [new ApiError(ErrorCodes.PayloadTooLarge,
            "request body is larger than the server accepts (awe.server.max_body_bytes); send a smaller body")]),
        BadHttpRequestException b => (b.StatusCode, [new ApiError(ErrorCodes.MalformedBody, b.Message)]),
        JsonException j => (400, [new ApiError(ErrorCodes.MalformedBody, $"request body is not valid JSON: {j.Message}")]),
        _ when Persistence.DbErrors.IsDatabaseUnavailable(e) => (503, [new ApiError(ErrorCodes.DatabaseDown,
            "the database is unreachable or restarting; retry shortly (GET /v1/awe/health answers 200 once it is back)")]),
        _ when Persistence.DbErrors.IsUnstorableText(e) => (400, [new ApiError(ErrorCodes.MalformedBody,
            "the request carries text the database cannot store (a NUL character, %00 or \\u0000); remove it")]),
        _ => (500, [new ApiError(ErrorCodes.Internal, $"internal error; nothing was changed. Report trace id {trace} to the operators")]),
    };

    /// <summary>Responses that ended with an error status but no body (unknown route, wrong method) get an envelope too.</summary>
    public static async Task WriteEmptyStatusAsync(StatusCodeContext context)
    {
        var ctx = context.HttpContext;
        var status = ctx.Response.StatusCode;
        var error = status switch
        {
            404 => new ApiError(ErrorCodes.NoSuchEndpoint, $"no endpoint {ctx.Request.Method} {ctx.Request.Path}; the API lives under /v1/awe (see /v1/awe/docs)"),
            405 => new ApiError(ErrorCodes.NoSuchEndpoint, $"{ctx.Request.Method} is not allowed on {ctx.Request.Path}"),
            401 => new ApiError(ErrorCodes.Unauthenticated, "a bearer token is required (Authorization: Bearer <token>)"),
            403 => new ApiError(ErrorCodes.Forbidden, "your token's roles do not allow this"),
            413 => new ApiError(ErrorCodes.PayloadTooLarge, "request body is larger than the server accepts (awe.server.max_body_bytes)"),
            414 => new ApiError(ErrorCodes.PayloadTooLarge, "the URL is longer than the server accepts; shorten it"),
            431 => new ApiError(ErrorCodes.PayloadTooLarge, "request headers are larger than the server accepts (awe.server.max_header_bytes)"),
            415 => new ApiError(ErrorCodes.MalformedBody, "send the body as application/json"),
            _ => new ApiError(ErrorCodes.MalformedBody, $"request failed with HTTP {status}"),
        };
        await Envelope.WriteErrorAsync(ctx, status, [error]);
    }
}
