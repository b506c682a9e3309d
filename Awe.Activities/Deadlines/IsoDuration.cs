using System.Globalization;
using System.Text.RegularExpressions;

namespace Awe.Activities.Deadlines;

/// <summary>
/// ISO-8601 durations as policies and requests write them: <c>PT30M</c>, <c>P2D</c>, <c>P1DT4H</c>, <c>PT5S</c>,
/// <c>P2W</c>. Years and months are refused: their length depends on the date they start from, and a deadline must
/// mean the same span whenever it is armed.
/// </summary>
public static partial class IsoDuration
{
    /// <summary>Longest accepted duration (ten years), as for sla_hours: a later deadline overflows the calendar.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(3650);

    [GeneratedRegex(@"^P(?:(?<w>\d{1,6})W|(?:(?<d>\d{1,6})D)?(?:T(?:(?<h>\d{1,8})H)?(?:(?<m>\d{1,9})M)?(?:(?<s>\d{1,10})S)?)?)$")]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^P(\d+Y)?(\d+M)?(\d+D)?(T[\dHMS]*)?$")]
    private static partial Regex DurationShape();

    [GeneratedRegex(@"^P\d+[YM]")]
    private static partial Regex YearsOrMonthsPrefix();

    private static bool IsYearsOrMonths(string value) => DurationShape().IsMatch(value) && YearsOrMonthsPrefix().IsMatch(value);

    /// <summary>Parses a duration; null with the reason when it is not one AWE accepts.</summary>
    public static bool TryParse(string? text, out TimeSpan duration, out string? problem)
    {
        duration = TimeSpan.Zero;
        problem = null;
        var value = text?.Trim().ToUpperInvariant() ?? "";
        var match = Pattern().Match(value);
        if (!match.Success || value == "P" || value.EndsWith('T'))
        {
            problem = IsYearsOrMonths(value)
                ? $"'{text}' uses years or months, whose length varies; write days (P30D) or weeks (P4W) instead"
                : $"'{text}' is not an ISO-8601 duration such as PT30M, PT5S, P2D or P1DT4H";
            return false;
        }
        double Part(string name) => match.Groups[name].Success ? double.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        var seconds = Part("w") * 7 * 86400 + Part("d") * 86400 + Part("h") * 3600 + Part("m") * 60 + Part("s");
        if (seconds < 1)
        {
            problem = $"'{text}' is shorter than one second; deadlines are counted in whole seconds";
            return false;
        }
        if (seconds > Max.TotalSeconds)
        {
            problem = $"'{text}' is longer than ten years (P3650D), the longest deadline AWE accepts";
            return false;
        }
        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var d, out var problem) ? d : throw new FormatException(problem);
}
