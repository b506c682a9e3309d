using System.Collections.Concurrent;
using Awe.Host.Configuration;
using Awe.Host.Identity;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Awe.Host.Notifications;

/// <summary>
/// The e-mail address of a user id: the Keycloak user's e-mail (looked up through the admin client and cached for
/// notifier.address_cache_seconds), else the id itself when it is an address. None: the reason, for the record.
/// </summary>
public sealed class RecipientAddresses(KeycloakAdminClient keycloak, IOptionsMonitor<AweOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, (string? Address, string? Reason, DateTime Until)> _cache = new(StringComparer.Ordinal);

    /// <exception cref="KeycloakException">Keycloak failed (not "no such user"); the caller retries later.</exception>
    public async Task<(string? Address, string? Reason)> ResolveAsync(string userId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (_cache.TryGetValue(userId, out var hit) && hit.Until > now) return (hit.Address, hit.Reason);

        string? address = null;
        if (keycloak.IsConfigured)
        {
            try
            {
                var user = await keycloak.UserByUsernameAsync(userId, ct);
                if (user?.Email is { } email && IsAddress(email)) address = email.Trim();
            }
            catch (KeycloakException) when (IsAddress(userId))
            {
                // The id is an address: Keycloak being down must not hold the mail back.
            }
        }
        if (address is null && IsAddress(userId)) address = userId.Trim();
        var reason = address is not null ? null
            : keycloak.IsConfigured ? $"'{userId}' has no e-mail address in Keycloak and is not itself an address"
            : $"'{userId}' is not an e-mail address, and no Keycloak (awe.keycloak.base_url) is configured to look one up";
        _cache[userId] = (address, reason, now.AddSeconds(options.CurrentValue.Notifier.AddressCacheSeconds));
        return (address, reason);
    }

    /// <summary>Drops what is known of a user's address, so the next lookup asks Keycloak again (an operator's retry).</summary>
    public void Forget(string userId) => _cache.TryRemove(userId, out _);

    private static bool IsAddress(string value) =>
        value.Contains('@') && MailboxAddress.TryParse(value.Trim(), out var mailbox) && mailbox.Address == value.Trim();
}
