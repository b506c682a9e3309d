using MudBlazor;

namespace Awe.Studio.Components.Shared;

/// <summary>How a state looks: one palette for nodes, chips and the timeline, always with an icon and a word.</summary>
public sealed record StateLook(string Text, string Color, string Icon);

/// <summary>
/// Every status Studio shows (request, task, workflow node, delivery, policy version) mapped onto six looks: done,
/// active, waiting, skipped, rejected and needs-attention. Colour is never the only signal (icon and text too).
/// </summary>
public static class StatePalette
{
    public static readonly StateLook Done = new("done", "#2e7d32", Icons.Material.Filled.CheckCircle);
    public static readonly StateLook Active = new("active", "#1565c0", Icons.Material.Filled.PlayCircle);
    public static readonly StateLook Waiting = new("waiting", "#616161", Icons.Material.Filled.Schedule);
    public static readonly StateLook Skipped = new("skipped", "#8d8d8d", Icons.Material.Filled.SkipNext);
    public static readonly StateLook Rejected = new("rejected", "#c62828", Icons.Material.Filled.Cancel);
    public static readonly StateLook Attention = new("needs attention", "#e65100", Icons.Material.Filled.Warning);

    public static StateLook Request(string status) => status switch
    {
        "approved" => Done with { Text = "approved" },
        "rejected" => Rejected,
        "cancelled" => Skipped with { Text = "cancelled" },
        "in_review" => Active with { Text = "in review" },
        _ => Waiting with { Text = status },
    };

    public static StateLook Task(string status) => status switch
    {
        "open" => Active with { Text = "open", Icon = Icons.Material.Filled.RadioButtonUnchecked },
        "claimed" => Active with { Text = "claimed", Icon = Icons.Material.Filled.PanTool },
        "completed" => Done with { Text = "completed" },
        "expired" => Attention with { Text = "expired" },
        _ => Skipped with { Text = status },
    };

    public static StateLook Node(string state, bool waitingOnResolution = false) => waitingOnResolution
        ? Attention with { Text = "waiting on resolution" }
        : state switch
        {
            "done" => Done,
            "active" => Active,
            "skipped" => Skipped,
            "rejected" => Rejected,
            _ => Waiting,
        };

    public static StateLook Delivery(string status) => status switch
    {
        "delivered" => Done with { Text = "delivered" },
        "exhausted" => Attention with { Text = "exhausted" },
        _ => Waiting with { Text = status },
    };

    public static StateLook Policy(string status) => status switch
    {
        "active" => Done with { Text = "active" },
        "draft" => Active with { Text = "draft", Icon = Icons.Material.Filled.Edit },
        _ => Skipped with { Text = status },
    };

    public static StateLook Decision(string? action) => action switch
    {
        "approve" => Done with { Text = "approved" },
        "reject" => Rejected with { Text = "rejected" },
        "abstain" => Skipped with { Text = "abstained" },
        _ => Waiting with { Text = "no decision" },
    };
}
