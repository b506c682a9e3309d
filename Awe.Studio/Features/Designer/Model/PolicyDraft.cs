namespace Awe.Studio.Features.Designer.Model;

/// <summary>
/// A policy version as the designer edits it: stages laid out in columns, each column one step of the flow (a
/// column of several stages is a parallel group). Stage order and parallel_group numbers are not stored: they follow
/// from the columns when the draft becomes an API body (<see cref="DraftMapping.ToBody"/>), so moving a stage on the
/// canvas can never leave two stages with one order or a group split by another stage.
/// </summary>
public sealed class PolicyDraft
{
    public string PolicyKey { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public string ArtifactType { get; set; } = "";
    public bool ForbidSelfApproval { get; set; }
    public bool ForbidRepeatApprovers { get; set; }
    /// <summary>Default lifetime of the policy's requests (ISO-8601 duration); kept as the API gave it.</summary>
    public string? RequestTtl { get; set; }
    /// <summary>The business calendar deadlines count in (a name from awe.calendars); kept as the API gave it.</summary>
    public string? Calendar { get; set; }

    /// <summary>The flow's steps in order; every column holds at least one stage.</summary>
    public List<List<StageDraft>> Columns { get; } = [];

    /// <summary>Stages in stage_order: column by column, top to bottom.</summary>
    public IEnumerable<StageDraft> Stages => Columns.SelectMany(c => c);

    public StageDraft? Find(Guid key) => Stages.FirstOrDefault(s => s.Key == key);

    /// <summary>(column, row) of a stage; (-1, -1) when it is not in this draft.</summary>
    public (int Column, int Row) Locate(Guid key)
    {
        for (var c = 0; c < Columns.Count; c++)
        {
            var row = Columns[c].FindIndex(s => s.Key == key);
            if (row >= 0) return (c, row);
        }
        return (-1, -1);
    }

    /// <summary>A new stage in its own column at <paramref name="column"/> (clamped; default: the end).</summary>
    public StageDraft AddStage(int? column = null)
    {
        var stage = StageDraft.New(NextName());
        var at = Math.Clamp(column ?? Columns.Count, 0, Columns.Count);
        Columns.Insert(at, [stage]);
        return stage;
    }

    /// <summary>A new stage running in parallel with the stages of <paramref name="column"/>, below them.</summary>
    public StageDraft AddParallelStage(int column)
    {
        if (column < 0 || column >= Columns.Count) return AddStage();
        var stage = StageDraft.New(NextName());
        Columns[column].Add(stage);
        return stage;
    }

    public bool Remove(Guid key)
    {
        var (c, row) = Locate(key);
        if (c < 0) return false;
        Columns[c].RemoveAt(row);
        if (Columns[c].Count == 0) Columns.RemoveAt(c);
        return true;
    }

    /// <summary>
    /// Moves a stage one step earlier (-1) or later (+1). A stage alone in its column swaps places with the
    /// neighbouring column; a stage of a parallel group leaves the group into a column of its own beside it.
    /// </summary>
    public void Shift(Guid key, int direction)
    {
        var (c, row) = Locate(key);
        if (c < 0 || direction == 0) return;
        var stage = Columns[c][row];
        if (Columns[c].Count > 1)
        {
            Columns[c].RemoveAt(row);
            Columns.Insert(direction < 0 ? c : c + 1, [stage]);
            return;
        }
        var target = c + Math.Sign(direction);
        if (target < 0 || target >= Columns.Count) return;
        (Columns[c], Columns[target]) = (Columns[target], Columns[c]);
    }

    /// <summary>Moves a stage into the column <paramref name="column"/> (runs in parallel with its stages).</summary>
    public void JoinColumn(Guid key, int column)
    {
        var (c, row) = Locate(key);
        if (c < 0 || column < 0 || column >= Columns.Count || column == c) return;
        var stage = Columns[c][row];
        var target = Columns[column];
        Columns[c].RemoveAt(row);
        if (Columns[c].Count == 0) Columns.RemoveAt(c);
        target.Add(stage);
    }

    /// <summary>Moves a stage into a column of its own inserted before column <paramref name="gap"/> (0 = first,
    /// Columns.Count = last), as dropped between two columns of the canvas.</summary>
    public void MoveToGap(Guid key, int gap)
    {
        var (c, row) = Locate(key);
        if (c < 0) return;
        var stage = Columns[c][row];
        var alone = Columns[c].Count == 1;
        // Dropping a lone stage right beside itself changes nothing.
        if (alone && (gap == c || gap == c + 1)) return;
        Columns[c].RemoveAt(row);
        if (alone)
        {
            Columns.RemoveAt(c);
            if (gap > c) gap--;
        }
        Columns.Insert(Math.Clamp(gap, 0, Columns.Count), [stage]);
    }

    /// <summary>Applies a drop computed by <see cref="CanvasLayout.DropAt"/>.</summary>
    public void Apply(Guid key, Drop drop)
    {
        switch (drop.Kind)
        {
            case DropKind.IntoColumn: JoinColumn(key, drop.Index); break;
            case DropKind.BetweenColumns: MoveToGap(key, drop.Index); break;
        }
    }

    private string NextName()
    {
        var names = Stages.Select(s => s.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = Stages.Count() + 1; ; i++)
            if (!names.Contains($"Stage {i}")) return $"Stage {i}";
    }
}

public sealed class StageDraft
{
    /// <summary>Identifies the stage on the canvas and in the panel while it is edited (not sent to the API).</summary>
    public Guid Key { get; init; } = Guid.NewGuid();
    public string Name { get; set; } = "";
    public string Mode { get; set; } = StageModes.All;
    public int? ModeValue { get; set; }
    public int? SlaHours { get; set; }
    /// <summary>The deadline as an ISO-8601 duration (the API takes this or <see cref="SlaHours"/>, not both).</summary>
    public string? Sla { get; set; }
    public string? RemindEvery { get; set; }
    public string? Calendar { get; set; }
    public string? OnBreach { get; set; }
    public string OnEmpty { get; set; } = "block";
    /// <summary>The skip_if JSONLogic as the author typed it; blank = none.</summary>
    public string SkipIfText { get; set; } = "";
    public List<RuleDraft> Rules { get; } = [];
    public List<RuleDraft> EscalationRules { get; } = [];

    public static StageDraft New(string name) => new() { Name = name, Mode = StageModes.All };
}

public sealed class RuleDraft
{
    public Guid Key { get; init; } = Guid.NewGuid();
    public string RuleType { get; set; } = RuleTypes.User;
    public string Kind { get; set; } = RuleKinds.Approver;
    public bool Required { get; set; }

    // One field set per rule type; only those of RuleType are sent.
    public string UserId { get; set; } = "";
    public string Role { get; set; } = "";
    public string? Client { get; set; }
    public string Group { get; set; } = "";
    public bool IncludeSubgroups { get; set; }
    public string LogicText { get; set; } = "";
    public string Url { get; set; } = "";
}

public static class StageModes
{
    public const string All = "all";
    public const string AnyN = "any-n";
    public const string Quorum = "quorum";
    public const string Percentage = "percentage";
    public static readonly string[] Values = [All, AnyN, Quorum, Percentage];
}

public static class RuleTypes
{
    public const string User = "user";
    public const string Role = "role";
    public const string Group = "group";
    public const string Expression = "expression";
    public const string Http = "http";
    public static readonly string[] Values = [User, Role, Group, Expression, Http];
}

public static class RuleKinds
{
    public const string Approver = "approver";
    public const string Observer = "observer";
}

public static class BreachActions
{
    public static readonly string[] Values = ["notify", "auto_approve", "auto_reject", "escalate"];
}
