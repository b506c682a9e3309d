using System.Net;

namespace Awe.Studio.ApiClient;

/// <summary>One entry of the API's error envelope: <c>{"errorCode": "AWE-012", "message": "…", "path": "stages[0].mode"}</c>.</summary>
public sealed record ApiError(string ErrorCode, string Message, string? Path);

/// <summary>A call the API answered with an error (or did not answer): its status and every error it listed.</summary>
public sealed class AweApiException(HttpStatusCode? status, IReadOnlyList<ApiError> errors, Exception? inner = null)
    : Exception(Describe(status, errors), inner)
{
    /// <summary>Null when the API could not be reached at all.</summary>
    public HttpStatusCode? Status { get; } = status;
    public IReadOnlyList<ApiError> Errors { get; } = errors;

    public bool IsUnauthorized => Status == HttpStatusCode.Unauthorized;

    private static string Describe(HttpStatusCode? status, IReadOnlyList<ApiError> errors)
    {
        if (errors.Count == 0) return status is null ? "the AWE API could not be reached" : $"the AWE API answered {(int)status}";
        return string.Join("; ", errors.Select(e => e.Path is null ? $"{e.ErrorCode}: {e.Message}" : $"{e.ErrorCode}: {e.Path}: {e.Message}"));
    }
}
