using System.Data.Common;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Awe.Host.Persistence;

/// <summary>
/// Reads rows of one entity's table from a plain data reader, by EF's own mapping of it (column names, value
/// converters), for the few statements EF cannot send itself: several queries in one round trip. The column list
/// comes from the model, so a column added to the model is read here too. Rows read this way are attached to the
/// context afterwards, and EF tracks them as if it had loaded them.
/// </summary>
public sealed class EntityRows<T> where T : class, new()
{
    private readonly Func<object, object?>?[] _fromProvider;
    private readonly Action<T, object?>[] _set;

    /// <param name="skip">Properties this path never needs; they stay at their default (and unchanged, so never written).</param>
    public EntityRows(IModel model, params string[] skip)
    {
        var entity = model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model");
        var properties = entity.GetProperties().Where(p => !skip.Contains(p.Name)).ToList();
        Table = entity.GetTableName()!;
        Columns = string.Join(", ", properties.Select(p => $"\"{p.GetColumnName()}\""));
        _fromProvider = properties.Select(p => p.GetTypeMapping().Converter is { } c ? (Func<object, object?>)(v => c.ConvertFromProvider(v)) : null).ToArray();
        _set = properties.Select(Setter).ToArray();
    }

    public string Table { get; }

    /// <summary>The quoted column list, in the order <see cref="Read"/> expects them.</summary>
    public string Columns { get; }

    public T Read(DbDataReader reader)
    {
        var row = new T();
        for (var i = 0; i < _set.Length; i++)
        {
            var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
            if (value is not null && _fromProvider[i] is { } convert) value = convert(value);
            _set[i](row, value);
        }
        return row;
    }

    public async Task<List<T>> ReadAllAsync(DbDataReader reader, CancellationToken ct)
    {
        var rows = new List<T>();
        while (await reader.ReadAsync(ct)) rows.Add(Read(reader));
        return rows;
    }

    private static Action<T, object?> Setter(IProperty property)
    {
        var info = property.PropertyInfo ?? throw new InvalidOperationException($"{typeof(T).Name}.{property.Name} has no CLR property");
        var row = Expression.Parameter(typeof(T));
        var value = Expression.Parameter(typeof(object));
        return Expression.Lambda<Action<T, object?>>(
            Expression.Assign(Expression.Property(row, info), Expression.Convert(value, info.PropertyType)), row, value).Compile();
    }
}
