using Awe.Studio.ApiClient;
using Awe.Studio.Features.Designer.Model;
using Blazor.Diagrams.Core.Geometry;
using Blazor.Diagrams.Core.Models;

namespace Awe.Studio.Features.Designer.Canvas;

/// <summary>A stage on the canvas; what its widget shows besides the stage is set on each refresh.</summary>
public sealed class StageNodeModel(StageDraft stage, int column, Point position) : NodeModel(position)
{
    public StageDraft Stage { get; } = stage;
    public int Column { get; } = column;
    public int StageOrder { get; set; }
    public bool InParallelGroup { get; set; }
    public IReadOnlyList<ApiError> Problems { get; set; } = [];
    public SimulatedStage? Simulation { get; set; }
}

public enum TerminalKind { Start, Approved, Rejected }

public sealed class TerminalNodeModel(TerminalKind kind, Point position) : NodeModel(position)
{
    public TerminalKind Kind { get; } = kind;
    /// <summary>Set when a simulation ends here.</summary>
    public bool Reached { get; set; }
}

/// <summary>The fork before a parallel group or the join after it (Camunda's parallel gateway).</summary>
public sealed class GatewayNodeModel(bool join, int groupSize, Point position) : NodeModel(position)
{
    public bool Join { get; } = join;
    public int GroupSize { get; } = groupSize;
}
