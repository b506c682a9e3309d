using MudBlazor;

namespace Awe.Studio.Components.Layout;

public static class StudioTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#283593",
            Secondary = "#00838f",
            AppbarBackground = "#283593",
            Background = "#f5f6fa",
            DrawerBackground = "#ffffff",
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "6px" },
    };
}
