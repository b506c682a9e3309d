using System.Security.Claims;

namespace Awe.Studio.Auth;

/// <summary>Who is signed in to Studio, as read from the cookie's principal.</summary>
public static class StudioUser
{
    public const string AdminRole = "AWE_ADMIN";
    public const string ViewerRole = "AWE_VIEWER";
    /// <summary>For <c>[Authorize(Roles = ...)]</c> on the pages only readers may open (either role).</summary>
    public const string ReaderRoles = AdminRole + "," + ViewerRole;

    // Claims Studio keeps in its cookie (encrypted by data protection).
    public const string DevModeClaim = "awe:dev_mode";
    public const string AccessTokenClaim = "awe:access_token";
    public const string RefreshTokenClaim = "awe:refresh_token";
    public const string ExpiresAtClaim = "awe:expires_at";
    public const string IdTokenClaim = "awe:id_token";

    public static string UserId(this ClaimsPrincipal user) => user.Identity?.Name ?? "";
    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(AdminRole);
    /// <summary>May read policies, deliveries and audit: AWE_VIEWER or AWE_ADMIN.</summary>
    public static bool CanRead(this ClaimsPrincipal user) => user.IsInRole(AdminRole) || user.IsInRole(ViewerRole);
    public static bool IsDevMode(this ClaimsPrincipal user) => user.HasClaim(c => c.Type == DevModeClaim);

    /// <summary>The role shown in the header: the strongest AWE role the user holds.</summary>
    public static string RoleLabel(this ClaimsPrincipal user) =>
        user.IsAdmin() ? AdminRole : user.IsInRole(ViewerRole) ? ViewerRole : "no AWE role";

    public static ClaimsIdentity NewIdentity(string userId, IEnumerable<string> roles, IEnumerable<Claim> extra) =>
        new(new[] { new Claim(ClaimTypes.Name, userId) }
                .Concat(roles.Distinct().Select(r => new Claim(ClaimTypes.Role, r)))
                .Concat(extra),
            authenticationType: "awe-studio", nameType: ClaimTypes.Name, roleType: ClaimTypes.Role);
}
