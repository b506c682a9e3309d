namespace Awe.Activities.Model;

/// <summary>Identifiers are UUID4 strings, as in the reference schema (String(36) primary keys).</summary>
public static class Ids
{
    public static string New() => Guid.NewGuid().ToString();
}
