using Awe.Studio.Features;

namespace Awe.Studio.Tests.Units;

public sealed class DashboardCountTests
{
    [Theory]
    [InlineData(0, "0", "none rejected")]
    [InlineData(7, "7", "in total")]
    [InlineData(99, "99", "in total")]
    [InlineData(100, "100+", "in total (counting stops at 100)")]
    public void A_capped_count_says_when_it_stopped_and_zero_reads_as_none(int count, string number, string hint)
    {
        Assert.Equal(number, DashboardCounts.Number(count));
        Assert.Equal(hint, DashboardCounts.Hint(count, "none rejected", "in total"));
    }
}
