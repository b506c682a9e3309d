using Awe.Studio.ApiClient;

namespace Awe.Studio.Components.Shared;

/// <summary>The navigation's count of the user's live tasks (open + claimed), refreshed when the inbox changes something.</summary>
public sealed class InboxCounter
{
    public event Action? Changed;

    public void Notify() => Changed?.Invoke();

    public async Task<LiveTaskCount> CountAsync(AweApiClient api)
    {
        var open = await api.ListTasksAsync(new TaskFilter(Status: "open", PageSize: 1));
        var claimed = await api.ListTasksAsync(new TaskFilter(Status: "claimed", PageSize: 1));
        return new LiveTaskCount(open.Total + claimed.Total, open.TotalCapped || claimed.TotalCapped);
    }
}

/// <summary>How many live tasks a person has; <see cref="AtLeast"/> when the API stopped counting (a capped total).</summary>
public readonly record struct LiveTaskCount(int Tasks, bool AtLeast)
{
    public override string ToString() => Tasks.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + (AtLeast ? "+" : "");
}
