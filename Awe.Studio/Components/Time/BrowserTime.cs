using System.Globalization;
using Microsoft.JSInterop;

namespace Awe.Studio.Components.Time;

/// <summary>
/// The signed-in person's time zone, read once per circuit from their browser
/// (<c>Intl.DateTimeFormat().resolvedOptions().timeZone</c>), and every conversion Studio's pages need: the API speaks
/// UTC, people read and type their own local time. Until the browser has answered (prerendering) it is UTC.
/// </summary>
public sealed class BrowserTime
{
    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;

    /// <summary>The IANA name the browser gave (e.g. Europe/Berlin), or UTC.</summary>
    public string ZoneName { get; private set; } = "UTC";

    public bool Known { get; private set; }

    /// <summary>Raised once, when the browser's zone is known: time displays render again in it.</summary>
    public event Action? Changed;

    public async Task DetectAsync(IJSRuntime js)
    {
        if (Known) return;
        string? name = null;
        try { name = await js.InvokeAsync<string?>("aweTimeZone"); }
        catch (JSException) { } // a browser without Intl time zones: stay on UTC, which the legend then says
        catch (TaskCanceledException) { }
        Use(name);
    }

    /// <summary>Switches to the IANA zone <paramref name="name"/>; an unknown or empty name leaves UTC.</summary>
    public void Use(string? name)
    {
        if (!string.IsNullOrWhiteSpace(name) && TimeZoneInfo.TryFindSystemTimeZoneById(name.Trim(), out var zone))
        {
            Zone = zone;
            ZoneName = name.Trim();
        }
        Known = true;
        Changed?.Invoke();
    }

    public DateTime ToLocal(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone);

    public string Format(DateTime utc, string format = "yyyy-MM-dd HH:mm") => ToLocal(utc).ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The zone with its offset at <paramref name="utc"/>, as the hover text says it: "Europe/Berlin, UTC+01:00".</summary>
    public string ZoneAt(DateTime utc)
    {
        var offset = Zone.GetUtcOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
        return ZoneName == "UTC" ? "UTC" : $"{ZoneName}, UTC{(offset < TimeSpan.Zero ? "-" : "+")}{offset:hh\\:mm}";
    }

    /// <summary>The exact moment for a tooltip: "2026-11-29 18:05:03 (Europe/Berlin, UTC+01:00)".</summary>
    public string Exact(DateTime utc) => $"{Format(utc, "yyyy-MM-dd HH:mm:ss")} ({ZoneAt(utc)})";

    /// <summary>A UTC moment as the text of a datetime-local input, in this zone.</summary>
    public string ToInput(DateTime utc) => Format(utc, "yyyy-MM-ddTHH:mm");

    /// <summary>
    /// A datetime-local input's text (this zone, no offset) as UTC; null when empty or unreadable. A local time that does
    /// not exist (the hour skipped when clocks go forward) is read as the same wall-clock time after the jump.
    /// </summary>
    public DateTime? FromInput(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!DateTime.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)) return null;
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (Zone.IsInvalidTime(local)) local = local.AddHours(1);
        return TimeZoneInfo.ConvertTimeToUtc(local, Zone);
    }
}
