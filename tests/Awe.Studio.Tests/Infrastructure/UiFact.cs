namespace Awe.Studio.Tests.Infrastructure;

/// <summary>Whether the browser tests run: <c>AWE_TEST_UI=0</c> switches them off (scripts/test.sh then installs no Chromium).</summary>
public static class UiTests
{
    public static bool Enabled => Environment.GetEnvironmentVariable("AWE_TEST_UI") != "0";

    public const string SkipReason =
        "AWE_TEST_UI=0: the Studio browser tests are switched off; unset it (scripts/test.sh then installs Debian's chromium) to run them";
}

/// <summary>
/// A test that drives Chromium: skipped, with the reason, when <see cref="UiTests.Enabled"/> is false. Its fixtures
/// start nothing then either, so switching the browser tests off never turns them into failures.
/// </summary>
public sealed class UiFactAttribute : FactAttribute
{
    public UiFactAttribute()
    {
        if (!UiTests.Enabled) Skip = UiTests.SkipReason;
    }
}
