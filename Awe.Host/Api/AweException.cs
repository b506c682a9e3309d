using Awe.Activities.Policies;

namespace Awe.Host.Api;

public sealed record ApiError(string ErrorCode, string Message, string? Path = null);

/// <summary>A failure a caller can act on: answered with its status and the error envelope; nothing is committed.</summary>
public sealed class AweException(int status, IReadOnlyList<ApiError> errors) : Exception(errors.Count > 0 ? errors[0].Message : "error")
{
    public AweException(int status, string code, string message) : this(status, [new ApiError(code, message)]) { }

    public int Status { get; } = status;
    public IReadOnlyList<ApiError> Errors { get; } = errors;

    public static AweException NotFound(string code, string message) => new(StatusCodes.Status404NotFound, code, message);
    public static AweException Conflict(string code, string message) => new(StatusCodes.Status409Conflict, code, message);
    public static AweException Forbidden(string message) => new(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, message);
    public static AweException Invalid(string message, string? path = null) =>
        new(StatusCodes.Status422UnprocessableEntity, [new ApiError(ErrorCodes.Invalid, path is null ? message : $"{path}: {message}", path)]);

    public static AweException Invalid(IEnumerable<ValidationProblem> problems) =>
        new(StatusCodes.Status422UnprocessableEntity,
            problems.Select(p => new ApiError(ErrorCodes.Invalid, p.ToString(), p.Path.Length == 0 ? null : p.Path)).ToList());
}
