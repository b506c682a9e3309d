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
        // IPv6 forms that carry an IPv4 address and reach it through a translator or tunnel (NAT64, SIIT, 6to4,
        // Teredo): 64:ff9b::a9fe:a9fe is the cloud metadata service on an IPv6-only network. Judge the IPv4 inside.
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            // RFC 8215's local-use NAT64 prefix: where the IPv4 address sits depends on the operator's prefix length,
            // and whatever it reaches is local by definition.
            if (bytes is [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01, ..]) return "local-use NAT64 (64:ff9b:1::/48)";
            if (EmbeddedIPv4(bytes) is { } embedded) address = embedded;
        }
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

    /// <summary>The IPv4 address an IPv6 address stands for, when it is one of the forms that embed one.</summary>
    private static IPAddress? EmbeddedIPv4(byte[] b) => b switch
    {
        // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052).
        [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, ..] => new IPAddress(b.AsSpan(12, 4)),
        // SIIT IPv4-translated ::ffff:0:a.b.c.d (RFC 2765).
        [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, ..] => new IPAddress(b.AsSpan(12, 4)),
        // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks); ::1 and :: are judged as they are.
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ..] when b[12] != 0 => new IPAddress(b.AsSpan(12, 4)),
        // 6to4 2002:a.b.c.d::/48 (RFC 3056).
        [0x20, 0x02, ..] => new IPAddress(b.AsSpan(2, 4)),
        // Teredo 2001:0::/32 (RFC 4380): the client's IPv4 address, bit-inverted, in the last four bytes.
        [0x20, 0x01, 0x00, 0x00, ..] => new IPAddress(b[12..].Select(x => (byte)~x).ToArray()),
        _ => null,
    };

    /// <summary>A problem with the URL itself (scheme, literal address, localhost), or null when it may be used.</summary>
    public static string? CheckUrl(string url, bool allowPrivate)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return "must be an absolute http(s) URL";
        if (allowPrivate) return null;
        // Judged as the HTTP client will connect: IdnHost applies IDNA mapping, so "127。0。0。1", "①②⑦.0.0.1" and
        // "ｌｏｃａｌｈｏｓｔ" are 127.0.0.1 and localhost here as they are on the wire. "localhost." and "127.0.0.1."
        // (fully qualified, trailing dot) name the same hosts as without the dot.
        var host = uri.IdnHost.TrimEnd('.');
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
