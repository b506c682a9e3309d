using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Awe.Activities.Resolution;
using Awe.Activities.Runtime;

namespace Awe.Host.Api;

/// <summary>
/// Turns every failure into the error envelope. Caller mistakes get a 4xx with a code and a message that
/// says what to change; only our own faults become 500, and those are logged with a trace id.
/// </summary>
public sealed class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
        }
        catch (Exception e) when (!ctx.Response.HasStarted && !(e is OperationCanceledException && ctx.RequestAborted.IsCancellationRequested))
        {
            var (status, errors) = Map(e);
            if (e is ApproverResolutionException)
            {
                Observability.AweMetrics.ResolutionRefusals.Inc();
                log.LogWarning("Approver resolution failed on {Method} {Path}: {Message}", ctx.Request.Method, ctx.Request.Path, e.Message);
            }
            else if (status >= 500 && e is not AweException)
                log.LogError(e, "Unhandled error on {Method} {Path} (trace {Trace})", ctx.Request.Method, ctx.Request.Path, ctx.TraceIdentifier);
            else if (status >= 500)
                // A deliberate 5xx (e.g. Keycloak down behind a picker) whose answer says why: a warning, not a fault of ours.
                log.LogWarning("{Method} {Path} answered {Status}: {Message}", ctx.Request.Method, ctx.Request.Path, status, e.Message);
            ctx.Response.Clear();
            await Envelope.WriteErrorAsync(ctx, status, errors);
        }
    }

    private (int, IReadOnlyList<ApiError>) Map(Exception e) => e switch
    {
        AweException a => (a.Status, a.Errors),
        WorkflowStateException w => (409, [new ApiError(ErrorCodes.WrongState, w.Message)]),
        SegregationOfDutiesException s => (403, [new ApiError(ErrorCodes.SegregationOfDuties, s.Message)]),
        ApproverResolutionException r => (503, [new ApiError(ErrorCodes.ResolverUnavailable,
            $"approvers could not be resolved: {r.Message}. Nothing was changed; retry when the directory is reachable")]),
        BadHttpRequestException { StatusCode: 413 } => (413, [new ApiError(ErrorCodes.PayloadTooLarge,
            "request body is larger than the server accepts (awe.server.max_body_bytes); send a smaller body")]),
        BadHttpRequestException b => (b.StatusCode, [new ApiError(ErrorCodes.MalformedBody, b.Message)]),
        JsonException j => (400, [new ApiError(ErrorCodes.MalformedBody, $"request body is not valid JSON: {j.Message}")]),
        _ when Persistence.DbErrors.IsUnstorableText(e) => (400, [new ApiError(ErrorCodes.MalformedBody,
            "the request carries text the database cannot store (a NUL character, %00 or \\u0000); remove it")]),
        _ => (500, [new ApiError(ErrorCodes.Internal, "internal error; nothing was changed. Report this trace id to the operators")]),
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
            415 => new ApiError(ErrorCodes.MalformedBody, "send the body as application/json"),
            _ => new ApiError(ErrorCodes.MalformedBody, $"request failed with HTTP {status}"),
        };
        await Envelope.WriteErrorAsync(ctx, status, [error]);
    }
}
