namespace Awe.Activities.Deadlines;

/// <summary>
/// A named working calendar (awe.calendars): a time zone, the working days and hours of a week, and holiday dates.
/// A deadline counted on it advances only through working time: PT8H opened Friday at 15:00 on a 09:00–17:00
/// Monday–Friday calendar falls due on Monday at 15:00.
/// </summary>
public sealed record BusinessCalendar(
    string Name, TimeZoneInfo Zone, IReadOnlySet<DayOfWeek> WorkingDays, TimeOnly DayStart, TimeOnly DayEnd, IReadOnlySet<DateOnly> Holidays)
{
    /// <summary>How far ahead a deadline is searched for (a calendar of only holidays would search forever).</summary>
    private const int MaxDays = 366 * 20;

    /// <summary>
    /// The moment (UTC) when <paramref name="duration"/> of working time has passed after <paramref name="startUtc"/>.
    /// Working windows are the local wall-clock hours of each working day, measured in real elapsed time, so a day
    /// on which the clocks change still counts the hours that actually pass inside the window.
    /// </summary>
    public DateTime AddWorkingTime(DateTime startUtc, TimeSpan duration)
    {
        if (duration < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), "a deadline cannot lie in the past");
        startUtc = DateTime.SpecifyKind(startUtc, DateTimeKind.Utc);
        var remaining = duration;
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(startUtc, Zone));
        for (var i = 0; i < MaxDays; i++, day = day.AddDays(1))
        {
            if (!IsWorkingDay(day)) continue;
            var windowStart = ToUtc(day.ToDateTime(DayStart));
            var windowEnd = ToUtc(day.ToDateTime(DayEnd));
            var from = startUtc > windowStart ? startUtc : windowStart;
            if (from >= windowEnd) continue;
            var available = windowEnd - from;
            if (remaining <= available) return from + remaining;
            remaining -= available;
        }
        throw new InvalidOperationException($"calendar '{Name}' has no working time in the next {MaxDays} days");
    }

    public bool IsWorkingDay(DateOnly day) => WorkingDays.Contains(day.DayOfWeek) && !Holidays.Contains(day);

    /// <summary>
    /// Local wall time → UTC. A time skipped by a spring-forward change does not exist; the window then starts when
    /// the clocks resume. An ambiguous time (autumn) is taken at its first occurrence.
    /// </summary>
    private DateTime ToUtc(DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        for (var shift = 0; Zone.IsInvalidTime(local) && shift < 240; shift++) local = local.AddMinutes(15);
        if (Zone.IsAmbiguousTime(local))
        {
            var offsets = Zone.GetAmbiguousTimeOffsets(local);
            var larger = offsets.Max();
            return DateTime.SpecifyKind(local - larger, DateTimeKind.Utc);
        }
        return TimeZoneInfo.ConvertTimeToUtc(local, Zone);
    }

    /// <summary>Builds a calendar from configuration values; every problem is reported with its key.</summary>
    public static (BusinessCalendar? Calendar, IReadOnlyList<string> Problems) Create(string name, string? timeZone,
        IReadOnlyList<string> workingDays, string? dayStart, string? dayEnd, IReadOnlyList<string> holidays)
    {
        var problems = new List<string>();
        var key = $"awe.calendars.{name}";
        TimeZoneInfo? zone = null;
        if (string.IsNullOrWhiteSpace(timeZone)) problems.Add($"{key}.time_zone is required (an IANA name such as Europe/Berlin or Asia/Kolkata)");
        else if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone.Trim(), out zone))
            problems.Add($"{key}.time_zone '{timeZone}' is not a time zone this system knows (use an IANA name such as Europe/Berlin)");

        var days = new HashSet<DayOfWeek>();
        foreach (var d in workingDays)
            if (ParseDay(d) is { } day) days.Add(day);
            else problems.Add($"{key}.working_days: '{d}' is not a day (use mon, tue, wed, thu, fri, sat, sun)");
        if (workingDays.Count == 0) problems.Add($"{key}.working_days must list at least one day");

        var start = ParseTime(dayStart, $"{key}.day_start", problems);
        var end = ParseTime(dayEnd, $"{key}.day_end", problems);
        if (start is not null && end is not null && end <= start)
            problems.Add($"{key}.day_end ({dayEnd}) must be after day_start ({dayStart})");

        var dates = new HashSet<DateOnly>();
        foreach (var h in holidays)
            if (DateOnly.TryParseExact(h.Trim(), "yyyy-MM-dd", out var date)) dates.Add(date);
            else problems.Add($"{key}.holidays: '{h}' is not a date written as YYYY-MM-DD");

        return problems.Count > 0 ? (null, problems) : (new BusinessCalendar(name, zone!, days, start!.Value, end!.Value, dates), problems);
    }

    private static DayOfWeek? ParseDay(string text) => text.Trim().ToLowerInvariant() switch
    {
        "mon" or "monday" => DayOfWeek.Monday,
        "tue" or "tuesday" => DayOfWeek.Tuesday,
        "wed" or "wednesday" => DayOfWeek.Wednesday,
        "thu" or "thursday" => DayOfWeek.Thursday,
        "fri" or "friday" => DayOfWeek.Friday,
        "sat" or "saturday" => DayOfWeek.Saturday,
        "sun" or "sunday" => DayOfWeek.Sunday,
        _ => null,
    };

    private static TimeOnly? ParseTime(string? text, string key, List<string> problems)
    {
        if (TimeOnly.TryParseExact(text?.Trim(), "HH:mm", out var t)) return t;
        if (text?.Trim() == "24:00") return TimeOnly.MaxValue;
        problems.Add($"{key} must be a time written as HH:mm, e.g. 09:00 (got '{text}')");
        return null;
    }
}

/// <summary>Where deadlines are computed: elapsed time, or working time on a calendar.</summary>
public static class Deadline
{
    public static DateTime After(DateTime startUtc, TimeSpan duration, BusinessCalendar? calendar) =>
        calendar is null ? startUtc + duration : calendar.AddWorkingTime(startUtc, duration);

    /// <summary>Deadlines in whole milliseconds: the same instant in memory, in PostgreSQL (µs) and in SQLite.</summary>
    public static DateTime Whole(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
}
