using Awe.Activities.Deadlines;

namespace Awe.Activities.Tests.Deadlines;

/// <summary>Working-time arithmetic, table-driven: weekends, holidays, time zones and daylight-saving changes.</summary>
public sealed class BusinessCalendarTests
{
    private static BusinessCalendar Calendar(string zone, string start = "09:00", string end = "17:00", string[]? days = null, params string[] holidays)
    {
        var (calendar, problems) = BusinessCalendar.Create("office", zone, days ?? ["mon", "tue", "wed", "thu", "fri"], start, end, holidays);
        Assert.Empty(problems);
        return calendar!;
    }

    public sealed record Case(string Name, string Zone, string StartUtc, string Duration, string ExpectedUtc, string[]? Holidays = null)
    {
        public override string ToString() => Name;
    }

    public static readonly TheoryData<Case> Cases = new()
    {
        // 2026-11-27 is a Friday. UTC calendar: wall time = UTC.
        new("inside one working day", "UTC", "2026-11-24T10:00:00Z", "PT2H", "2026-11-24T12:00:00Z"),
        new("ends exactly at closing time, not the next morning", "UTC", "2026-11-24T09:00:00Z", "PT8H", "2026-11-24T17:00:00Z"),
        new("PT8H from Friday afternoon falls due on Monday", "UTC", "2026-11-27T15:00:00Z", "PT8H", "2026-11-30T15:00:00Z"),
        new("opened on Saturday: counting starts Monday 09:00", "UTC", "2026-11-28T11:00:00Z", "PT1H", "2026-11-30T10:00:00Z"),
        new("opened before opening time", "UTC", "2026-11-24T06:30:00Z", "PT30M", "2026-11-24T09:30:00Z"),
        new("opened after closing time", "UTC", "2026-11-24T19:00:00Z", "PT1H", "2026-11-25T10:00:00Z"),
        new("P2D is 48 working hours, six days of eight", "UTC", "2026-11-23T09:00:00Z", "P2D", "2026-11-30T17:00:00Z"),
        new("a holiday is skipped", "UTC", "2026-12-24T16:00:00Z", "PT2H", "2026-12-28T10:00:00Z", ["2026-12-25"]),
        new("a holiday on the start day", "UTC", "2026-12-25T10:00:00Z", "PT1H", "2026-12-28T10:00:00Z", ["2026-12-25"]),
        new("seconds", "UTC", "2026-11-24T16:59:58Z", "PT5S", "2026-11-25T09:00:03Z"),
        // Asia/Kolkata is UTC+05:30: 09:00–17:00 local is 03:30–11:30 UTC.
        new("a time zone ahead of UTC", "Asia/Kolkata", "2026-11-24T11:00:00Z", "PT1H", "2026-11-25T04:00:00Z"),
        new("already Saturday locally while Friday in UTC", "Pacific/Auckland", "2026-11-27T20:00:00Z", "PT1H", "2026-11-29T21:00:00Z"),
        // Europe/Berlin leaves summer time on 2026-10-25 (Sunday): Friday 16:00 CEST (14:00Z) + 2 h = Monday 10:00 CET (09:00Z).
        new("across the end of summer time", "Europe/Berlin", "2026-10-23T14:00:00Z", "PT2H", "2026-10-26T09:00:00Z"),
        // America/New_York starts summer time on 2026-03-08 (Sunday): Friday 16:00 EST (21:00Z) + 2 h = Monday 10:00 EDT (14:00Z).
        new("across the start of summer time", "America/New_York", "2026-03-06T21:00:00Z", "PT2H", "2026-03-09T14:00:00Z"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Working_time_is_added_as_the_calendar_says(Case c)
    {
        var calendar = Calendar(c.Zone, holidays: c.Holidays ?? []);
        var start = DateTime.Parse(c.StartUtc, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        var due = calendar.AddWorkingTime(start, IsoDuration.Parse(c.Duration));
        Assert.Equal(DateTime.Parse(c.ExpectedUtc, null, System.Globalization.DateTimeStyles.AdjustToUniversal), due);
        Assert.Equal(DateTimeKind.Utc, due.Kind);
    }

    [Fact]
    public void A_working_window_that_a_clock_change_shortens_counts_the_hours_that_really_pass()
    {
        // A 00:00–06:00 window on the night Berlin springs forward (02:00 → 03:00, 2026-03-29): five real hours.
        var calendar = Calendar("Europe/Berlin", "00:00", "06:00", ["sun", "mon"]);
        var start = new DateTime(2026, 3, 28, 23, 0, 0, DateTimeKind.Utc); // Sunday 00:00 CET
        Assert.Equal(new DateTime(2026, 3, 29, 4, 0, 0, DateTimeKind.Utc), calendar.AddWorkingTime(start, TimeSpan.FromHours(5)));
        // The sixth hour is Monday's first.
        Assert.Equal(new DateTime(2026, 3, 29, 23, 0, 0, DateTimeKind.Utc), calendar.AddWorkingTime(start, TimeSpan.FromHours(6)));
    }

    [Theory]
    [InlineData("Mars/Olympus", "09:00", "17:00", "mon", "2026-01-01", "time_zone 'Mars/Olympus' is not a time zone")]
    [InlineData("UTC", "9am", "17:00", "mon", "2026-01-01", "day_start must be a time written as HH:mm")]
    [InlineData("UTC", "17:00", "09:00", "mon", "2026-01-01", "day_end (09:00) must be after day_start (17:00)")]
    [InlineData("UTC", "09:00", "17:00", "funday", "2026-01-01", "'funday' is not a day")]
    [InlineData("UTC", "09:00", "17:00", "mon", "01/01/2026", "'01/01/2026' is not a date written as YYYY-MM-DD")]
    public void Bad_calendar_settings_are_reported_with_their_key(string zone, string start, string end, string day, string holiday, string expected)
    {
        var (calendar, problems) = BusinessCalendar.Create("office", zone, [day], start, end, [holiday]);
        Assert.Null(calendar);
        Assert.Contains(problems, p => p.StartsWith("awe.calendars.office.") && p.Contains(expected));
    }

    [Theory]
    [InlineData("PT5S", 5)]
    [InlineData("PT30M", 1800)]
    [InlineData("P2D", 172800)]
    [InlineData("P1DT4H", 100800)]
    [InlineData("P2W", 1209600)]
    [InlineData("pt1h30m", 5400)]
    public void Iso_durations_parse_to_their_length(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), IsoDuration.Parse(text));

    [Theory]
    [InlineData("P1M", "years or months")]
    [InlineData("P1Y", "years or months")]
    [InlineData("PT0S", "shorter than one second")]
    [InlineData("P", "not an ISO-8601 duration")]
    [InlineData("PT", "not an ISO-8601 duration")]
    [InlineData("5 minutes", "not an ISO-8601 duration")]
    [InlineData("PT1.5S", "not an ISO-8601 duration")]
    [InlineData("P4000D", "longer than ten years")]
    public void Durations_AWE_cannot_honour_are_refused_with_a_reason(string text, string reason)
    {
        Assert.False(IsoDuration.TryParse(text, out _, out var problem));
        Assert.Contains(reason, problem);
    }
}
