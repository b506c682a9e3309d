using System.Globalization;
using System.Text;

namespace Awe.Activities.Model;

/// <summary>
/// The one form in which user ids are stored and compared: tasks' assignees, decisions' actors, requesters,
/// delegations and the caller's own id. Segregation of duties compares people, so " u-alice", "U-ALICE" and
/// "u-alice" must be one person, and an id with an invisible character in it must not pass for another.
/// </summary>
public static class UserIds
{
    /// <summary>Longest user id a task, decision or delegation can hold (their columns are 128 characters).</summary>
    public const int MaxLength = 128;

    /// <summary>
    /// Trimmed, NFKC-normalised (full-width and compatibility forms become their plain letters) and lower-cased
    /// invariantly, which is how Keycloak stores usernames. Only for ids that <see cref="Problem"/> accepts.
    /// </summary>
    public static string Canonical(string id) => id.Trim().Normalize(NormalizationForm.FormKC).ToLowerInvariant();

    /// <summary>Why <paramref name="id"/> cannot be a user id, or null. Checked on the raw text, before <see cref="Canonical"/>.</summary>
    public static string? Problem(string id)
    {
        if (string.IsNullOrWhiteSpace(id)) return "is empty";
        for (var i = 0; i < id.Length; i++)
        {
            var c = id[i];
            if (char.IsHighSurrogate(c) && i + 1 < id.Length && char.IsLowSurrogate(id[i + 1]))
            {
                var category = CharUnicodeInfo.GetUnicodeCategory(id, i);
                if (category is UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
                    return $"contains the invisible or unassigned character U+{char.ConvertToUtf32(c, id[i + 1]):X4} at position {i}";
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
                return $"contains a lone UTF-16 surrogate (\\u{(int)c:x4}) at position {i}; send valid Unicode text";
            if (Invisible(c))
                return $"contains the control or invisible character U+{(int)c:X4} at position {i}; user ids are plain visible text";
        }
        var canonical = Canonical(id);
        if (canonical.Length > MaxLength) return $"is {canonical.Length} characters long; user ids have at most {MaxLength}";
        return null;
    }

    /// <summary>
    /// The form to look an id up by (a query filter): canonical when it can be, else as given, which then matches no
    /// stored id since every stored id is canonical.
    /// </summary>
    public static string ForLookup(string id) => Problem(id) is null ? Canonical(id) : id;

    // Controls (tabs and newlines included), format characters (zero-width space/joiners, bidi marks, soft
    // hyphen, BOM), line/paragraph separators and unassigned code points: none is part of a person's name as
    // shown, so each could make one person look like two.
    private static bool Invisible(char c) => CharUnicodeInfo.GetUnicodeCategory(c) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or
        UnicodeCategory.ParagraphSeparator or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse;
}
