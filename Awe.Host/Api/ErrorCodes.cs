namespace Awe.Host.Api;

/// <summary>
/// Error codes in the envelope's <c>errors[].errorCode</c>. 001–011 keep the reference's meanings so its
/// callers keep working; the rest are ours. docs/api.md lists them with their HTTP status.
/// </summary>
public static class ErrorCodes
{
    public const string PolicyNotFound = "AWE-001";
    public const string PolicyExists = "AWE-002";
    public const string RequestNotFound = "AWE-003";
    public const string TaskNotFound = "AWE-004";
    public const string NotReady = "AWE-005";
    public const string DatabaseDown = "AWE-006";
    public const string WrongState = "AWE-007";
    public const string Forbidden = "AWE-008";
    public const string IdempotencyConflict = "AWE-009";
    public const string KeyMismatch = "AWE-010";
    public const string ResolverUnavailable = "AWE-011";
    public const string Invalid = "AWE-012";
    public const string Unauthenticated = "AWE-013";
    public const string PayloadTooLarge = "AWE-014";
    public const string MalformedBody = "AWE-015";
    public const string NoSuchEndpoint = "AWE-016";
    public const string KeysUnavailable = "AWE-017";
    public const string AdminResourceNotFound = "AWE-018";
    /// <summary>The policy's segregation of duties forbids this person to approve (403).</summary>
    public const string SegregationOfDuties = "AWE-019";
    /// <summary>The caller made more requests than awe.rate_limit allows per window (429, with Retry-After).</summary>
    public const string RateLimited = "AWE-020";
    public const string Internal = "AWE-099";
}
