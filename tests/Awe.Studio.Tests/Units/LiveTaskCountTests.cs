using Awe.Studio.Components.Shared;

namespace Awe.Studio.Tests.Units;

/// <summary>The navigation's inbox count: exact below the API's counting cap, "at least" beyond it.</summary>
public sealed class LiveTaskCountTests
{
    [Theory]
    [InlineData(3, false, "3")]
    [InlineData(1250, false, "1,250")]
    [InlineData(10000, true, "10,000+")]
    public void The_count_reads_as_a_number_and_says_when_counting_stopped(int tasks, bool atLeast, string shown) =>
        Assert.Equal(shown, new LiveTaskCount(tasks, atLeast).ToString());
}
