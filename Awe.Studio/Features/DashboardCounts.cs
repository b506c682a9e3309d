namespace Awe.Studio.Features;

/// <summary>
/// A dashboard number read from a list call capped at <see cref="Cap"/> rows: the number as shown and the line under
/// it, which says when the count stopped at the cap and reads naturally at zero.
/// </summary>
public static class DashboardCounts
{
    /// <summary>The most rows one list call answers (the API's limit for requests and deliveries).</summary>
    public const int Cap = 100;

    public static string Number(int count) => count >= Cap ? $"{Cap}+" : count.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <param name="none">the line when there are none, e.g. "nothing is waiting for a decision"</param>
    /// <param name="some">the line otherwise, e.g. "waiting for decisions"</param>
    public static string Hint(int count, string none, string some) =>
        count == 0 ? none : count >= Cap ? $"{some} (counting stops at {Cap})" : some;
}
