using System.Net;
using Awe.Host.Tests.Infrastructure;
using Awe.Host.Webhooks;

namespace Awe.Host.Tests.Webhooks;

/// <summary>Where AWE may send HTTP: the address table, the URL check, and the connect-time check.</summary>
public sealed class OutboundAddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.8.9.10", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("0.1.2.3", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("10.255.255.255", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.254", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("169.254.169.254", "link-local (cloud metadata)")]
    [InlineData("169.254.0.1", "link-local (cloud metadata)")]
    [InlineData("100.64.0.1", "shared (carrier-grade NAT)")]
    [InlineData("100.127.255.255", "shared (carrier-grade NAT)")]
    [InlineData("192.0.0.8", "IETF protocol assignments")]
    [InlineData("224.0.0.1", "multicast or reserved")]
    [InlineData("255.255.255.255", "multicast or reserved")]
    [InlineData("fc00::1", "private (unique local)")]
    [InlineData("fd12:3456:789a::1", "private (unique local)")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fec0::1", "link-local")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("::ffff:10.0.0.1", "private")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("::ffff:169.254.169.254", "link-local (cloud metadata)")]
    // NAT64 (RFC 6052 well-known prefix): on an IPv6-only network with DNS64 this reaches the embedded IPv4 address.
    [InlineData("64:ff9b::a9fe:a9fe", "link-local (cloud metadata)")]
    [InlineData("64:ff9b::10.1.2.3", "private")]
    [InlineData("64:ff9b::127.0.0.1", "loopback")]
    // Other IPv6 forms that carry an IPv4 address: SIIT IPv4-translated, 6to4, IPv4-compatible, Teredo (client
    // address bit-inverted); the local-use NAT64 prefix is refused whole.
    [InlineData("::ffff:0:7f00:1", "loopback")]
    [InlineData("::ffff:0:a9fe:a9fe", "link-local (cloud metadata)")]
    [InlineData("2002:7f00:1::", "loopback")]
    [InlineData("2002:a9fe:a9fe::1", "link-local (cloud metadata)")]
    [InlineData("::127.0.0.1", "loopback")]
    [InlineData("::10.0.0.1", "private")]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback")]
    [InlineData("64:ff9b:1::7f00:1", "local-use NAT64 (64:ff9b:1::/48)")]
    [InlineData("64:ff9b:1::808:808", "local-use NAT64 (64:ff9b:1::/48)")]
    public void Refused_addresses(string address, string reason)
    {
        Assert.Equal(reason, OutboundAddressPolicy.Refusal(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("93.184.216.34")]
    [InlineData("172.15.255.255")] // just outside 172.16/12
    [InlineData("172.32.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("100.63.255.255")] // just outside 100.64/10
    [InlineData("100.128.0.1")]
    [InlineData("169.253.0.1")]
    [InlineData("11.0.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")] // NAT64 of a public address
    [InlineData("2002:808:808::1")] // 6to4 of a public address
    [InlineData("::ffff:0:808:808")]
    public void Public_addresses_are_allowed(string address)
    {
        Assert.Null(OutboundAddressPolicy.Refusal(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("ftp://example.org/hook", "absolute http(s)")]
    [InlineData("/relative/hook", "absolute http(s)")]
    [InlineData("example.org/hook", "absolute http(s)")]
    [InlineData("file:///etc/passwd", "absolute http(s)")]
    [InlineData("http://localhost:8080/hook", "loopback")]
    [InlineData("http://LOCALHOST/hook", "loopback")]
    [InlineData("http://localhost./hook", "loopback")]
    [InlineData("http://127.0.0.1./hook", "loopback")]
    [InlineData("http://10.0.0.1./hook", "private")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "link-local")]
    [InlineData("http://api.localhost/hook", "loopback")]
    [InlineData("http://127.0.0.1:9/hook", "loopback")]
    [InlineData("http://2130706433/hook", "loopback")] // 127.0.0.1 written as one number
    [InlineData("http://[::1]:8080/hook", "loopback")]
    // Unicode dots and digits: IDNA maps them to ASCII, and the HTTP client connects to the mapped host.
    [InlineData("http://127。0。0。1/hook", "loopback")]
    [InlineData("http://127．0．0．1/hook", "loopback")]
    [InlineData("http://①②⑦.0.0.1/hook", "loopback")]
    [InlineData("http://１２７.0.0.1/hook", "loopback")]
    [InlineData("http://１６９.２５４.１６９.２５４/latest/meta-data/", "link-local")]
    [InlineData("http://ｌｏｃａｌｈｏｓｔ/hook", "loopback")]
    [InlineData("http://localhost。/hook", "loopback")]
    [InlineData("http://[::ffff:0:7f00:1]/hook", "loopback")]
    [InlineData("http://[2002:7f00:1::]/hook", "loopback")]
    [InlineData("http://[64:ff9b:1::7f00:1]/hook", "NAT64")]
    [InlineData("http://10.1.2.3/hook", "private")]
    [InlineData("https://192.168.0.10/hook", "private")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "link-local")]
    [InlineData("http://100.64.1.1/hook", "shared")]
    [InlineData("http://[::ffff:10.0.0.1]/hook", "private")]
    [InlineData("http://[fd00::1]/hook", "unique local")]
    [InlineData("http://[fe80::1]/hook", "link-local")]
    public void Refused_urls_say_why(string url, string reason)
    {
        var problem = OutboundAddressPolicy.CheckUrl(url, allowPrivate: false);
        Assert.NotNull(problem);
        Assert.Contains(reason, problem);
    }

    [Theory]
    [InlineData("https://example.org/hook")]
    [InlineData("http://callbacks.example.org:8443/awe?tenant=1")]
    [InlineData("https://93.184.216.34/hook")]
    [InlineData("https://[2606:4700:4700::1111]/hook")]
    public void Public_urls_are_accepted(string url)
    {
        Assert.Null(OutboundAddressPolicy.CheckUrl(url, allowPrivate: false));
    }

    [Fact]
    public void Allowing_private_networks_lifts_the_address_check_but_not_the_scheme_check()
    {
        Assert.Null(OutboundAddressPolicy.CheckUrl("http://127.0.0.1:9/hook", allowPrivate: true));
        Assert.Null(OutboundAddressPolicy.CheckUrl("http://10.0.0.1/hook", allowPrivate: true));
        Assert.NotNull(OutboundAddressPolicy.CheckUrl("ftp://127.0.0.1/hook", allowPrivate: true));
    }

    [Fact]
    public async Task The_connect_check_refuses_a_name_that_resolves_to_loopback_unless_private_networks_are_allowed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var url = receiver.Url().Replace("127.0.0.1", "localhost");

        var allow = false;
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = OutboundAddressPolicy.ConnectCallback(() => allow) });
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(url, new StringContent("{}")));
        Assert.Contains("loopback", refused.Message);
        Assert.Contains("allow_private_networks", refused.Message);
        Assert.Empty(receiver.Received);

        allow = true; // read at each connection, so a configuration change applies without a restart
        using var ok = await client.PostAsync(url, new StringContent("{}"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Single(receiver.Received);
    }
}
