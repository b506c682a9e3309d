namespace Awe.Studio.Features.Designer.Model;

public enum DropKind { IntoColumn, BetweenColumns }

/// <summary>Where a stage dropped on the canvas goes: into column Index, or into a new column before column Index.</summary>
public readonly record struct Drop(DropKind Kind, int Index);

public readonly record struct Box(double X, double Y, double Width, double Height)
{
    public double CenterX => X + Width / 2;
    public double CenterY => Y + Height / 2;
}

/// <summary>
/// Positions of everything on the designer canvas, left to right: Start, then per column its stages stacked and
/// centred on one line (a parallel column gets a fork gateway before it and a join after it), then the Approved and
/// Rejected outcomes. Fixed sizes keep ports and drops predictable; the stage widget is drawn at these sizes.
/// </summary>
public sealed class CanvasLayout
{
    public const double StageWidth = 200;
    public const double StageHeight = 104;
    public const double RowGap = 22;
    public const double TerminalWidth = 108;
    public const double TerminalHeight = 40;
    public const double GatewaySize = 30;
    public const double SlotGap = 56;
    public const double Margin = 20;

    public Box Start { get; private init; }
    public Box Approved { get; private init; }
    public Box Rejected { get; private init; }
    /// <summary>Per column: its stages' boxes top to bottom.</summary>
    public IReadOnlyList<IReadOnlyList<Box>> Columns { get; private init; } = [];
    /// <summary>Per column: the fork and join gateway boxes, null for a column of one stage.</summary>
    public IReadOnlyList<(Box Fork, Box Join)?> Gateways { get; private init; } = [];
    /// <summary>The line below every column along which the stages' reject edges run to Rejected.</summary>
    public double RejectLineY { get; private init; }
    public double Width { get; private init; }
    public double Height { get; private init; }

    /// <param name="columnSizes">Number of stages in each column.</param>
    public static CanvasLayout For(IReadOnlyList<int> columnSizes)
    {
        var tallest = columnSizes.Count == 0 ? 1 : columnSizes.Max();
        var columnHeight = tallest * StageHeight + (tallest - 1) * RowGap;
        // Parallel columns carry a label line above their stages.
        var centerY = Margin + 22 + Math.Max(columnHeight, 2 * TerminalHeight + 40) / 2;

        var x = Margin;
        var start = new Box(x, centerY - TerminalHeight / 2, TerminalWidth, TerminalHeight);
        x += TerminalWidth + SlotGap;
        var columns = new List<IReadOnlyList<Box>>();
        var gateways = new List<(Box, Box)?>();
        foreach (var size in columnSizes)
        {
            Box? fork = null;
            if (size > 1)
            {
                fork = new Box(x, centerY - GatewaySize / 2, GatewaySize, GatewaySize);
                x += GatewaySize + SlotGap * 0.6;
            }
            var height = size * StageHeight + (size - 1) * RowGap;
            var top = centerY - height / 2;
            columns.Add(Enumerable.Range(0, size).Select(i => new Box(x, top + i * (StageHeight + RowGap), StageWidth, StageHeight)).ToList());
            x += StageWidth;
            if (fork is { } f)
            {
                x += SlotGap * 0.6;
                gateways.Add((f, new Box(x, centerY - GatewaySize / 2, GatewaySize, GatewaySize)));
                x += GatewaySize;
            }
            else gateways.Add(null);
            x += SlotGap;
        }
        var approved = new Box(x, centerY - TerminalHeight - 14, TerminalWidth, TerminalHeight);
        var rejected = new Box(x, centerY + 14, TerminalWidth, TerminalHeight);
        var rejectLine = Math.Max(rejected.Y + TerminalHeight, centerY + columnHeight / 2) + 26;
        return new CanvasLayout
        {
            Start = start, Approved = approved, Rejected = rejected, Columns = columns, Gateways = gateways, RejectLineY = rejectLine,
            Width = x + TerminalWidth + Margin,
            Height = rejectLine + Margin,
        };
    }

    /// <summary>
    /// Where a stage dropped with its centre at <paramref name="x"/> lands: over a column's stages (within its width)
    /// → into that column; anywhere else → a new column in the gap it is closest to.
    /// </summary>
    public Drop DropAt(double x)
    {
        for (var c = 0; c < Columns.Count; c++)
        {
            var box = Columns[c][0];
            if (x >= box.X && x <= box.X + box.Width) return new Drop(DropKind.IntoColumn, c);
        }
        var gap = 0;
        for (var c = 0; c < Columns.Count; c++)
            if (x > Columns[c][0].CenterX) gap = c + 1;
        return new Drop(DropKind.BetweenColumns, gap);
    }
}
