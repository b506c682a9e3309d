using Awe.Studio.Auth;
using Awe.Studio.Features.Policies;

namespace Awe.Studio.Tests;

/// <summary>Pure pieces of Studio: where sign-in may send the browser, and how a stage's quorum reads.</summary>
public sealed class TextAndAddressTests
{
    [Theory]
    [InlineData("/requests?status=in_review", "/requests?status=in_review")]
    [InlineData("/", "/")]
    [InlineData(null, "/")]
    [InlineData("", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example/", "/")]
    [InlineData("/\t/evil.example/", "/")]
    [InlineData("/\n/evil.example/", "/")]
    [InlineData("javascript:alert(1)", "/")]
    public void Sign_in_returns_only_to_addresses_on_this_site(string? asked, string used) =>
        Assert.Equal(used, StudioAuthentication.LocalUrl(asked));

    [Theory]
    [InlineData("all", null, "Every approver must approve; one reject vetoes.")]
    [InlineData("any-n", 1, "1 approver must approve; one reject vetoes.")]
    [InlineData("any-n", 2, "2 approvers must approve; one reject vetoes.")]
    [InlineData("quorum", null, "1 approver must approve; one reject vetoes.")]
    [InlineData("percentage", 60, "60% of the approvers (rounded up) must approve; one reject vetoes.")]
    public void A_stage_mode_reads_as_a_sentence(string mode, int? value, string sentence) =>
        Assert.Equal(sentence, PolicyText.Mode(mode, value));
}
