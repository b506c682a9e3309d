using Awe.Studio.ApiClient;

namespace Awe.Studio.Components.Shared;

/// <summary>The navigation's count of the user's live tasks (open + claimed), refreshed when the inbox changes something.</summary>
public sealed class InboxCounter
{
    public event Action? Changed;

    public void Notify() => Changed?.Invoke();

    public async Task<int> CountAsync(AweApiClient api)
    {
        var open = api.ListTasksAsync(new TaskFilter(Status: "open", PageSize: 1));
        var claimed = api.ListTasksAsync(new TaskFilter(Status: "claimed", PageSize: 1));
        return (await open).Total + (await claimed).Total;
    }
}
