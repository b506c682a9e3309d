using Awe.Host.Operations;

namespace Awe.Host.Tests.Operations;

/// <summary>Which addresses the host binds: the deployment's choice first, awe.server.port otherwise, and the
/// management port beside the API on the same interface.</summary>
public sealed class ListenUrlsTests
{
    [Fact]
    public void Awe_server_port_is_used_when_the_deployment_chose_no_address()
    {
        Assert.Equal(["http://localhost:8010"], ListenUrls.Api(null, null, null, 8010));
        Assert.Equal(["http://localhost:8010"], ListenUrls.Api("", "", "", 8010));
    }

    [Fact]
    public void Urls_win_over_ports_and_ports_over_awe_server_port()
    {
        Assert.Equal(["http://127.0.0.1:5000", "http://[::1]:5001"], ListenUrls.Api("http://127.0.0.1:5000;http://[::1]:5001", "8000", null, 8010));
        Assert.Equal(["http://+:8000", "https://+:8443"], ListenUrls.Api(null, "8000", "8443", 8010));
    }

    [Theory]
    [InlineData("http://+:8000", "http://+:9090")]
    [InlineData("http://localhost:8000", "http://localhost:9090")]
    [InlineData("http://127.0.0.1:0", "http://127.0.0.1:9090")]
    [InlineData("http://[::]:8000", "http://[::]:9090")]
    [InlineData("https://awe.local:8443/base", "http://awe.local:9090")]
    public void The_management_port_shares_the_api_interface(string api, string management) =>
        Assert.Equal(management, ListenUrls.Management(api, 9090));

    [Fact]
    public void The_launch_profile_does_not_override_awe_server_port()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "Awe.sln"))) dir = dir.Parent;
        var profile = File.ReadAllText(Path.Combine(dir.FullName, "Awe.Host", "Properties", "launchSettings.json"));
        Assert.DoesNotContain("applicationUrl", profile);
        Assert.DoesNotContain("ASPNETCORE_URLS", profile);
    }
}
