using Awe.Studio.Components.Time;

namespace Awe.Studio.Tests.Units;

/// <summary>The conversions between the API's UTC and the browser's zone that every Studio time goes through.</summary>
public sealed class BrowserTimeTests
{
    private static BrowserTime In(string zone)
    {
        var time = new BrowserTime();
        time.Use(zone);
        return time;
    }

    [Fact]
    public void Times_are_shown_in_the_browsers_zone_with_the_offset_of_that_moment()
    {
        var ny = In("America/New_York");
        var winter = new DateTime(2030, 1, 15, 17, 0, 0, DateTimeKind.Utc);
        var summer = new DateTime(2030, 7, 15, 17, 0, 0, DateTimeKind.Utc);
        Assert.Equal("2030-01-15 12:00", ny.Format(winter));
        Assert.Equal("2030-01-15 12:00:00 (America/New_York, UTC-05:00)", ny.Exact(winter));
        Assert.Equal("2030-07-15 13:00:00 (America/New_York, UTC-04:00)", ny.Exact(summer));
        Assert.Equal("2030-01-15 22:30:00 (Asia/Kolkata, UTC+05:30)", In("Asia/Kolkata").Exact(winter));
    }

    [Fact]
    public void Typed_local_times_go_to_the_API_as_UTC_and_back_unchanged()
    {
        var ny = In("America/New_York");
        Assert.Equal(new DateTime(2030, 3, 1, 14, 0, 0, DateTimeKind.Utc), ny.FromInput("2030-03-01T09:00"));
        Assert.Equal("2030-03-01T09:00", ny.ToInput(ny.FromInput("2030-03-01T09:00")!.Value));
        Assert.Null(ny.FromInput(""));
        Assert.Null(ny.FromInput("tomorrow-ish"));
    }

    [Fact]
    public void A_wall_clock_time_skipped_by_daylight_saving_is_read_after_the_jump_and_an_ambiguous_one_as_standard_time()
    {
        var ny = In("America/New_York");
        // 2030-03-10 02:30 never happens in New York (02:00 → 03:00 EDT): 03:30 EDT.
        Assert.Equal(new DateTime(2030, 3, 10, 7, 30, 0, DateTimeKind.Utc), ny.FromInput("2030-03-10T02:30"));
        // 2030-11-03 01:30 happens twice; .NET reads it as standard time (EST).
        Assert.Equal(new DateTime(2030, 11, 3, 6, 30, 0, DateTimeKind.Utc), ny.FromInput("2030-11-03T01:30"));
    }

    [Fact]
    public void An_unknown_zone_leaves_UTC_which_the_legend_then_names()
    {
        var time = In("Mars/Olympus_Mons");
        Assert.Equal("UTC", time.ZoneName);
        Assert.Equal("2030-01-15 17:00:00 (UTC)", time.Exact(new DateTime(2030, 1, 15, 17, 0, 0, DateTimeKind.Utc)));
        Assert.True(time.Known);
    }
}
