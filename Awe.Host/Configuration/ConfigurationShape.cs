using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace Awe.Host.Configuration;

/// <summary>
/// Checks every key under awe: against <see cref="AweOptions"/> before binding: a key that is no setting (a typo such
/// as AWE__WEBHOOK__MAX_ATEMPTS) and a value of the wrong type each give one line naming the key, the same kind of
/// line as a range error, instead of the binder's exception or a typo silently ignored.
/// </summary>
public static class ConfigurationShape
{
    /// <param name="options">The type the section binds to (AweOptions unless a test says otherwise).</param>
    public static List<string> Check(IConfigurationSection awe, Type? options = null)
    {
        var problems = new List<string>();
        foreach (var child in awe.GetChildren()) CheckNode(child, options ?? typeof(AweOptions), awe.Path, problems);
        return problems;
    }

    private static void CheckNode(IConfigurationSection node, Type owner, string parentPath, List<string> problems)
    {
        var property = owner.GetProperties().FirstOrDefault(p =>
            string.Equals(p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name, node.Key, StringComparison.OrdinalIgnoreCase));
        if (property is null)
        {
            var known = owner.GetProperties().Select(p => p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name).OfType<string>();
            problems.Add($"{parentPath}.{node.Key.ToLowerInvariant()} is not a setting (settings under {parentPath}: {string.Join(", ", known)})");
            return;
        }
        CheckValue(node, property.PropertyType, $"{parentPath}.{property.GetCustomAttribute<ConfigurationKeyNameAttribute>()!.Name}", problems);
    }

    private static void CheckValue(IConfigurationSection node, Type type, string path, List<string> problems)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var item = type.GetGenericArguments()[0];
            // An empty YAML list arrives as the key with an empty value.
            if (node.Value is { Length: > 0 }) problems.Add($"{path} must be a list (got '{node.Value}')");
            foreach (var element in node.GetChildren())
            {
                if (!int.TryParse(element.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    problems.Add($"{path}.{element.Key} is not a setting ({path} is a list: items are {path}[0], [1], ...)");
                else
                    CheckValue(element, item, $"{path}[{element.Key}]", problems);
            }
            return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            // Named entries (awe.calendars.office): any name, each checked as the value type.
            if (node.Value is { Length: > 0 }) problems.Add($"{path} is a section, not a value (got '{node.Value}')");
            foreach (var entry in node.GetChildren()) CheckValue(entry, type.GetGenericArguments()[1], $"{path}.{entry.Key}", problems);
            return;
        }
        if (type.IsClass && type != typeof(string))
        {
            if (node.Value is { Length: > 0 }) problems.Add($"{path} is a section, not a value (got '{node.Value}')");
            foreach (var child in node.GetChildren()) CheckNode(child, type, path, problems);
            return;
        }
        if (node.GetChildren().Any())
        {
            problems.Add($"{path} is a single value, not a section (found {string.Join(", ", node.GetChildren().Select(c => $"{path}.{c.Key}"))})");
            return;
        }
        if (type == typeof(string) || node.Value is null) return;
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(node.Value);
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException or OverflowException
                                      || e.InnerException is FormatException or OverflowException)
        {
            problems.Add($"{path} must be {Describe(type)} (got '{node.Value}')");
        }
    }

    private static string Describe(Type type) =>
        type == typeof(bool) ? "true or false"
        : type == typeof(int) ? "a whole number"
        : type == typeof(long) ? "a whole number"
        : type == typeof(double) ? "a number"
        : $"a {type.Name}";
}
