using Awe.Activities.Deadlines;
using Awe.Host.Configuration;

namespace Awe.Host.Deadlines;

/// <summary>The business calendars of awe.calendars, built once at start-up (configuration is validated before).</summary>
public static class Calendars
{
    public static (BusinessCalendar? Calendar, IReadOnlyList<string> Problems) Build(string name, CalendarOptions o) =>
        BusinessCalendar.Create(name, o.TimeZone, o.WorkingDays, o.DayStart, o.DayEnd, o.Holidays);

    public static IReadOnlyDictionary<string, BusinessCalendar> All(AweOptions options) =>
        options.Calendars.ToDictionary(c => c.Key, c => Build(c.Key, c.Value).Calendar!, StringComparer.Ordinal);
}
