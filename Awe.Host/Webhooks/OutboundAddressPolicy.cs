using System.Net;
using System.Net.Sockets;

namespace Awe.Host.Webhooks;

/// <summary>
/// Where AWE may send HTTP on a caller's behalf (callbacks, HTTP resolvers). Loopback, private, link-local
/// (cloud metadata lives there), shared, multicast and unspecified addresses are refused unless
/// awe.outbound.allow_private_networks is true. Checked on the URL when it is given and again on the
/// address actually connected to, so DNS cannot smuggle a request inside.
/// </summary>
public static class OutboundAddressPolicy
{
    public static string? Refusal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        // NAT64 (RFC 6052 well-known prefix 64:ff9b::/96): on an IPv6-only network with DNS64 this reaches the
        // embedded IPv4 address, so 64:ff9b::a9fe:a9fe is the cloud metadata service. Judge the embedded address.
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && IsNat64(address.GetAddressBytes(), out var embedded)) address = embedded;
        if (IPAddress.IsLoopback(address)) return "loopback";
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return "unspecified";
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 => "unspecified",
                10 => "private",
                100 when b[1] is >= 64 and <= 127 => "shared (carrier-grade NAT)",
                169 when b[1] == 254 => "link-local (cloud metadata)",
                172 when b[1] is >= 16 and <= 31 => "private",
                192 when b[1] == 168 => "private",
                192 when b[1] == 0 && b[2] == 0 => "IETF protocol assignments",
                >= 224 => "multicast or reserved",
                _ => null,
            };
        }
        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal) return "link-local";
        if (address.IsIPv6Multicast) return "multicast";
        if ((address.GetAddressBytes()[0] & 0xFE) == 0xFC) return "private (unique local)";
        return null;
    }

    private static bool IsNat64(byte[] b, out IPAddress embedded)
    {
        embedded = IPAddress.None;
        if (b is not [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, ..]) return false;
        embedded = new IPAddress(b.AsSpan(12, 4));
        return true;
    }

    /// <summary>A problem with the URL itself (scheme, literal address, localhost), or null when it may be used.</summary>
    public static string? CheckUrl(string url, bool allowPrivate)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return "must be an absolute http(s) URL";
        if (allowPrivate) return null;
        // "localhost." and "127.0.0.1." (fully qualified, trailing dot) name the same hosts as without the dot.
        var host = uri.Host.TrimEnd('.');
        if (uri.IsLoopback || host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return "points to this machine (loopback), which is refused unless awe.outbound.allow_private_networks is true";
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && Refusal(ip) is { } why)
            return $"points to a {why} address ({ip}), which is refused unless awe.outbound.allow_private_networks is true";
        return null;
    }

    /// <summary>A connect callback for SocketsHttpHandler that refuses disallowed resolved addresses.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(Func<bool> allowPrivate) =>
        async (context, ct) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
            if (addresses.Length == 0) throw new HttpRequestException($"{context.DnsEndPoint.Host} did not resolve");
            if (!allowPrivate())
                foreach (var a in addresses)
                    if (Refusal(a) is { } why)
                        throw new HttpRequestException($"destination {context.DnsEndPoint.Host} resolves to a {why} address ({a}); refused (awe.outbound.allow_private_networks is false)");
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
}
